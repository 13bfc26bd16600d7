# syntax=docker/dockerfile:1
# One image for every Syncfleet role (scheduler, worker, console, graph simulator, migrations): the
# role is the TypeScript entry file passed as the command, e.g.
#   docker run syncfleet apps/console/src/main.ts
#   docker run syncfleet packages/db/src/cli/migrate.ts      # = npm run db:migrate
# No build step: tsx runs the sources, so the runtime needs the dev dependency tsx (and the Prisma
# client generated at install time). No secret is baked in: everything comes from the environment.

# --- deps: install exactly the lockfile, generate the Prisma client ------------------------------
FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
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
# Dev dependencies are included on purpose: tsx runs the sources and prisma generates the client.
# NODE_ENV is not production here, or npm ci would leave them out.
RUN npm ci --no-audit --no-fund \
 && npm cache clean --force

# --- runtime -----------------------------------------------------------------------------------
FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Installed dependencies + the generated Prisma client, then the sources (.dockerignore keeps
# node_modules, the generated client, .git, .data and key material out of the context). Files stay
# owned by root: the app only reads them, so the root filesystem can be mounted read-only.
COPY --from=deps /app ./
COPY . .
# Writable places, owned by the runtime user: /tmp (tsx's transform cache; an emptyDir/tmpfs when
# the root filesystem is read-only) and the demo simulator's PKI directories (compose named
# volumes take their ownership from these on first use).
RUN mkdir -p /var/lib/syncfleet/simulator /var/lib/syncfleet/graph-ca \
 && chown -R node:node /var/lib/syncfleet
USER node
# `node --import tsx` runs the app in this very process (the tsx CLI would run it in a child), so
# SIGTERM from `docker stop` / the kubelet reaches the app's handler directly and the worker drains.
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["apps/worker/src/main.ts"]
