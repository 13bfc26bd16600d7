# syntax=docker/dockerfile:1
# One image for every Syncfleet role (scheduler, worker, console, graph simulator, migrations): the
# role is the compiled entry file passed as the command, e.g.
#   docker run syncfleet apps/console/src/main.js
#   docker run syncfleet packages/db/src/cli/migrate.js      # = npm run db:migrate
# The build stage compiles the TypeScript to JavaScript and keeps production dependencies only
# (scripts/build-production.cjs, which CI exercises without Docker: test/infra/production-build.test.ts);
# the runtime stage holds that folder alone. No secret is baked in: everything comes from the environment.

# --- build: install exactly the lockfile, generate the Prisma client, compile, prune --------------
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
ENV CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    npm_config_update_notifier=false
# The lockfile was written by npm 11 (package.json "packageManager"); use the same major.
RUN npm install --global npm@11.19.1
# Manifests first, so source edits do not invalidate the install layer. Every workspace's
# package.json must be listed (test/infra/dockerfile.test.ts checks against apps/* and packages/*).
COPY package.json package-lock.json .npmrc ./
COPY apps/console/package.json apps/console/
COPY apps/graph-simulator/package.json apps/graph-simulator/
COPY apps/scheduler/package.json apps/scheduler/
COPY apps/webhooks/package.json apps/webhooks/
COPY apps/worker/package.json apps/worker/
COPY packages/config/package.json packages/config/
COPY packages/db/package.json packages/db/
COPY packages/errors/package.json packages/errors/
COPY packages/graph/package.json packages/graph/
COPY packages/queues/package.json packages/queues/
COPY packages/sync/package.json packages/sync/
COPY packages/telemetry/package.json packages/telemetry/
COPY packages/testing/package.json packages/testing/
COPY packages/workloads/package.json packages/workloads/
# What the root postinstall (scripts/prisma-generate.cjs → prisma generate) reads.
COPY scripts/prisma-generate.cjs scripts/
COPY prisma.config.ts ./
COPY prisma ./prisma
# Dev dependencies are needed here (prisma generates the client, esbuild compiles); NODE_ENV is not
# production in this stage, or npm ci would leave them out.
RUN npm ci --no-audit --no-fund
COPY . .
# Compiled JavaScript in the repository's layout + production dependencies only, into /app: the
# installed node_modules are hard-linked and pruned (npm prune --omit=dev), no second download.
RUN node scripts/build-production.cjs /app --reuse-node-modules \
 && npm cache clean --force

# --- runtime -----------------------------------------------------------------------------------
FROM node:20.20.2-bookworm-slim AS runtime
# OPS_*: every role serves /metrics, /healthz and /readyz on this port (the HEALTHCHECK below,
# Kubernetes probes, Prometheus).
ENV NODE_ENV=production \
    OPS_HOST=0.0.0.0 \
    OPS_PORT=9464
WORKDIR /app
# Files stay owned by root: the app only reads them, so the root filesystem can be read-only.
COPY --from=build /app ./
# Writable places, owned by the runtime user: the demo simulator's PKI directories (compose named
# volumes take their ownership from these on first use).
RUN mkdir -p /var/lib/syncfleet/simulator /var/lib/syncfleet/graph-ca \
 && chown -R node:node /var/lib/syncfleet
USER node
EXPOSE 9464
# Liveness of whichever role runs (the migration and PKI one-shots exit before it matters).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.OPS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `node <entry>` runs the app as PID 1's only child-free process: SIGTERM from `docker stop` / the
# kubelet reaches the app's handler directly and the worker drains.
ENTRYPOINT ["node"]
CMD ["apps/worker/src/main.js"]
