// `npm run db:migrate`: creates the database if needed and applies pending migrations.
import { ConfigError, parseBaseEnv, redactCredentials } from '@syncfleet/config';
import { migrate } from '../index';

async function main(): Promise<void> {
  const env = parseBaseEnv(process.env);
  const started = Date.now();
  const result = await migrate(env.DATABASE_URL, { log: (line) => console.log(line) });
  const took = Date.now() - started;
  console.log(
    result.applied.length
      ? `Applied ${result.applied.length} migration(s) to ${redactCredentials(env.DATABASE_URL)} in ${took} ms.`
      : `Database ${redactCredentials(env.DATABASE_URL)} is up to date (${result.alreadyApplied} migrations, ${took} ms).`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
