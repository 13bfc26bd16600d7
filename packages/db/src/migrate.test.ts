import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createEmptyDatabase } from '@syncfleet/testing';
import { DEFAULT_MIGRATIONS_DIR, migrate, MigrationError, readMigrations } from './migrate';

async function appliedRows(url: string) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('migrate', () => {
  it('applies everything once, records it like Prisma, and applies nothing the second time', async () => {
    const db = await createEmptyDatabase('mig');
    try {
      const local = await readMigrations();
      const first = await migrate(db.url);
      expect(first.applied).toEqual(local.map((m) => m.name));
      const second = await migrate(db.url);
      expect(second).toEqual({ applied: [], alreadyApplied: local.length });
      const rows = await appliedRows(db.url);
      expect(rows).toHaveLength(local.length);
      expect(rows[0]).toMatchObject({
        migration_name: local[0]!.name,
        checksum: local[0]!.checksum,
        applied_steps_count: 1,
        rolled_back_at: null,
      });
      expect(rows[0].finished_at).toBeInstanceOf(Date);
    } finally {
      await db.drop();
    }
  });

  it('lets concurrent runs race: one applies, the others wait and apply nothing', async () => {
    const db = await createEmptyDatabase('migrace');
    try {
      const results = await Promise.all([migrate(db.url), migrate(db.url), migrate(db.url)]);
      const appliedCounts = results.map((r) => r.applied.length).sort();
      const total = (await readMigrations()).length;
      expect(appliedCounts).toEqual([0, 0, total]);
      expect(await appliedRows(db.url)).toHaveLength(total);
    } finally {
      await db.drop();
    }
  });

  it('creates the database when it does not exist', async () => {
    const db = await createEmptyDatabase('migcreate');
    await db.drop();
    try {
      const result = await migrate(db.url);
      expect(result.applied.length).toBeGreaterThan(0);
    } finally {
      await db.drop();
    }
  });

  it('refuses to run when an applied migration file changed, and changes nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sf-mig-'));
    const db = await createEmptyDatabase('migchanged');
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      await migrate(db.url, { migrationsDir: dir });
      const [first] = await readMigrations(dir);
      const file = path.join(dir, first!.name, 'migration.sql');
      await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited\n`);
      const before = await appliedRows(db.url);
      const attempt = migrate(db.url, { migrationsDir: dir });
      await expect(attempt).rejects.toThrow(MigrationError);
      await expect(migrate(db.url, { migrationsDir: dir })).rejects.toThrow(
        new RegExp(`Migration ${first!.name} was modified after it was applied`),
      );
      expect(await appliedRows(db.url)).toEqual(before);
    } finally {
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a failing migration and records the failure, so a fixed file applies next time', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sf-migfail-'));
    const db = await createEmptyDatabase('migfail');
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      await migrate(db.url, { migrationsDir: dir });
      const bad = path.join(dir, '29990101000000_bad');
      await mkdir(bad);
      await writeFile(
        path.join(bad, 'migration.sql'),
        'CREATE TABLE "Ok" (id int);\nSELECT * FROM "NoSuchTable";\n',
      );
      await expect(migrate(db.url, { migrationsDir: dir })).rejects.toThrow(
        /29990101000000_bad failed and was rolled back/,
      );
      await writeFile(path.join(bad, 'migration.sql'), 'CREATE TABLE "Ok" (id int);\n');
      const result = await migrate(db.url, { migrationsDir: dir });
      expect(result.applied).toEqual(['29990101000000_bad']);
    } finally {
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
