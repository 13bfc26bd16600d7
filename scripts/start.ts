// `npm start`: the main job. Checks Redis and PostgreSQL (failing fast with what to do), migrates,
// then launches the fleet (see scripts/fleet.ts once it exists).
import { parseBaseEnv } from '@syncfleet/config';
import { checkPostgres, migrate } from '@syncfleet/db';
import { checkRedis } from '@syncfleet/queues';

async function main(): Promise<void> {
  const env = parseBaseEnv(process.env);
  await Promise.all([checkPostgres(env.DATABASE_URL), checkRedis(env.REDIS_URL)]);
  const result = await migrate(env.DATABASE_URL, { log: (line) => console.log(line) });
  console.log(`Database ready (${result.applied.length} migration(s) applied).`);
}

main().catch((error: unknown) => {
  console.error(`\nSyncfleet could not start:\n${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
