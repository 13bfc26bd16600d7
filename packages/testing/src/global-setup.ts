import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { ensureDatabase, migrate, readMigrations, withDatabase } from '@syncfleet/db';
import { TEST_SERVER_URL } from './database';

/**
 * Builds (once per set of migrations) the migrated template database every test file copies.
 * Named after the migrations' checksums, so a changed migration gets a new template.
 */
export default async function globalSetup(): Promise<void> {
  const migrations = await readMigrations();
  const digest = createHash('sha256')
    .update(migrations.map((m) => `${m.name}:${m.checksum}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const name = `sf_template_${digest}`;
  const admin = new Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    const ready = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [name]);
    if (!ready.rowCount) {
      const building = `${name}_build`;
      await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      const url = withDatabase(TEST_SERVER_URL, building);
      await ensureDatabase(url);
      await migrate(url);
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
      await admin.query(`ALTER DATABASE "${name}" WITH IS_TEMPLATE true`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch(() => undefined);
    await admin.end();
  }
  process.env.SYNCFLEET_TEST_TEMPLATE = name;
}
