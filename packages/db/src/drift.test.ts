import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmptyDatabase } from '@syncfleet/testing';
import { checkDrift, loadDmmf, type Dmmf } from './drift';
import { Prisma } from './generated/prisma/client';
import { DEFAULT_MIGRATIONS_DIR, migrate, readMigrations } from './migrate';

let dmmf: Dmmf;
beforeAll(async () => {
  dmmf = await loadDmmf();
});

describe('drift between prisma/schema.prisma and prisma/migrations', () => {
  it('the generated client describes the same models and fields as the schema', () => {
    const clientModels = Object.values(Prisma.ModelName).sort();
    expect(clientModels).toEqual(dmmf.datamodel.models.map((m) => m.name).sort());
    for (const model of dmmf.datamodel.models) {
      const scalarEnum = (Prisma as unknown as Record<string, Record<string, string>>)[
        `${model.name}ScalarFieldEnum`
      ];
      const schemaScalars = model.fields.filter((f) => f.kind !== 'object').map((f) => f.name);
      expect(Object.values(scalarEnum ?? {}).sort()).toEqual(schemaScalars.sort());
    }
  });

  it('the real migrations produce exactly what the schema declares', async () => {
    const db = await createEmptyDatabase('drift');
    try {
      await migrate(db.url);
      expect(await checkDrift(db.url, dmmf)).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('reports what a deliberately incomplete migration set misses', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sf-drift-'));
    const db = await createEmptyDatabase('driftbad');
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      const [first] = await readMigrations(dir);
      const file = path.join(dir, first!.name, 'migration.sql');
      const sql = (await readFile(file, 'utf8'))
        .replace(/^\s*"lastErrorCode" TEXT,\n/m, '')
        .replace(/"ownerEmail" TEXT,/, '"ownerEmail" TEXT NOT NULL,')
        .replace(/^CREATE INDEX "SyncRun_startedAt_idx".*$/m, '')
        .replace(/^CREATE UNIQUE INDEX "Mailbox_ownerType_ownerId_key".*$/m, '')
        .replace(/^ALTER TABLE "Alert" ADD CONSTRAINT "Alert_profileId_fkey".*$/m, '')
        .replace(/"cycleCount" INTEGER NOT NULL DEFAULT 0/, '"cycleCount" INTEGER NOT NULL');
      await writeFile(file, sql);
      await migrate(db.url, { migrationsDir: dir });
      const problems = await checkDrift(db.url, dmmf);
      expect(problems).toEqual(
        expect.arrayContaining([
          'MailboxWorkload.lastErrorCode: column "MailboxWorkload"."lastErrorCode" missing',
          'EmailServerProfile.ownerEmail: NOT NULL in database, optional in schema',
          'SyncRun: index on (startedAt) missing',
          'Mailbox: unique on (ownerType, ownerId) missing',
          'Alert.profile: foreign key (profileId) → EmailServerProfile missing',
          'MailboxWorkload.cycleCount: database has no default, schema has @default',
        ]),
      );
      expect(problems).toHaveLength(6);
    } finally {
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
