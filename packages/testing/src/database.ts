import { randomBytes } from 'node:crypto';
import { createPrisma, dropDatabase, ensureDatabase, withDatabase, type Db } from '@syncfleet/db';

export const TEST_SERVER_URL =
  process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** Name of the migrated template database, written by the Jest global setup. */
export function templateName(): string {
  const name = process.env.SYNCFLEET_TEST_TEMPLATE;
  if (!name) throw new Error('SYNCFLEET_TEST_TEMPLATE is not set: run tests through the root jest config.');
  return name;
}

export interface TestDatabase {
  url: string;
  prisma: Db;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database of this test file's own (a copy of the template), so test files never
 * see each other's rows. Call `drop()` in afterAll.
 */
export async function createTestDatabase(label = 'db'): Promise<TestDatabase> {
  const name = `sf_t_${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${randomBytes(5).toString('hex')}`;
  const url = withDatabase(TEST_SERVER_URL, name);
  await ensureDatabase(url, templateName());
  const prisma = createPrisma(url, { maxConnections: 5 });
  return {
    url,
    prisma,
    async drop() {
      await prisma.$disconnect();
      await dropDatabase(url);
    },
  };
}

/** An empty (unmigrated) database, for migration tests. */
export async function createEmptyDatabase(label = 'empty'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sf_t_${label}_${randomBytes(5).toString('hex')}`;
  const url = withDatabase(TEST_SERVER_URL, name);
  await ensureDatabase(url);
  return { url, drop: () => dropDatabase(url) };
}
