#!/usr/bin/env node
// Generates the Prisma client (packages/db/src/generated, never committed) on install and on
// `npm run db:generate`. `prisma generate` does not use the native schema engine, but Prisma 7 looks
// for it; where it was not downloaded (our machines reach only package registries) we point
// PRISMA_SCHEMA_ENGINE_BINARY at a file that exists, as Prisma's docs allow for custom engines.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = __filename;

const prismaBin = require.resolve('prisma/build/index.js', { paths: [root] });
const result = spawnSync(process.execPath, [prismaBin, 'generate'], { cwd: root, env, stdio: 'inherit' });
if (result.status !== 0) {
  console.error('prisma generate failed: see the output above (schema at prisma/schema.prisma).');
  process.exit(result.status ?? 1);
}
