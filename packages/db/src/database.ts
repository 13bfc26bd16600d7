import { Client } from 'pg';
import { redactCredentials } from '@syncfleet/config';
import { classifyDatabaseError } from './errors';

export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL has no database name: ${redactCredentials(databaseUrl)}`);
  return name;
}

/** The same server, another database (the maintenance database `postgres` by default). */
export function withDatabase(databaseUrl: string, name = 'postgres'): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates the database named in `databaseUrl` when it does not exist yet. Safe to race. */
export async function ensureDatabase(databaseUrl: string, template?: string): Promise<boolean> {
  const name = databaseName(databaseUrl);
  const admin = new Client({ connectionString: withDatabase(databaseUrl) });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    try {
      const from = template ? ` TEMPLATE ${quoteIdent(template)}` : '';
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}${from}`);
      return true;
    } catch (error) {
      // Two creators racing: duplicate_database or unique_violation, both a Conflict.
      if (classifyDatabaseError(error)?.reason === 'Conflict') return false;
      throw error;
    }
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const admin = new Client({ connectionString: withDatabase(databaseUrl) });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(databaseName(databaseUrl))} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
