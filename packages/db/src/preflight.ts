import { Client } from 'pg';
import { redactCredentials } from '@syncfleet/config';
import { withDatabase } from './database';

/**
 * Fails fast (never hangs) when PostgreSQL does not answer, with a message saying which URL and how
 * to start it. Connects to the maintenance database, since the app's own may not exist yet.
 */
export async function checkPostgres(databaseUrl: string, timeoutMs = 3_000): Promise<void> {
  const client = new Client({
    connectionString: withDatabase(databaseUrl),
    connectionTimeoutMillis: timeoutMs,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    throw new Error(
      `PostgreSQL is not reachable at ${redactCredentials(databaseUrl)} (${reason}).\n` +
        `  Start it (e.g. \`docker compose up -d postgres\`, or your system's PostgreSQL service) ` +
        `or set DATABASE_URL to a reachable server.`,

      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
