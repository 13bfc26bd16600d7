import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { createTestDatabase, type TestDatabase } from '@syncfleet/testing';
import { Client, DatabaseError } from 'pg';
import { createPrisma, sqlClientOf } from './client';
import { Prisma } from './generated/prisma/client';
import { withDatabase } from './database';
import { classifyDatabaseError } from './errors';

/**
 * Every row is a real failure of Prisma 7 + @prisma/adapter-pg (or node-postgres) against the real
 * PostgreSQL, classified: reason × kind × scope, and the raw code shown to operators.
 */
let db: TestDatabase;
const profile = (name: string) => ({
  name,
  tenantId: 'contoso',
  clientId: 'app',
  clientSecretCiphertext: 'x',
  clientSecretKeyId: 'k1',
});

beforeAll(async () => {
  db = await createTestDatabase('dberrors');
  await db.prisma.emailServerProfile.create({ data: profile('taken') });
  await db.prisma.$executeRawUnsafe('CREATE TABLE counters (id int PRIMARY KEY, v int NOT NULL)');
  await db.prisma.$executeRawUnsafe('INSERT INTO counters VALUES (1, 0), (2, 0)');
});
afterAll(() => db.drop());

async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the database operation to fail');
}

const classified = (error: unknown) => {
  const e = classifyDatabaseError(error);
  return e && { reason: e.reason, kind: e.kind, scope: e.scope, code: e.code };
};

/** A port nobody listens on. */
const refusedUrl = 'postgresql://postgres@127.0.0.1:1/nothing';

describe('Prisma and node-postgres errors from the real PostgreSQL', () => {
  const rows: [
    string,
    () => Promise<unknown>,
    { reason: string; kind: string; scope: string; code: string },
  ][] = [
    [
      'unique violation, model query (P2002)',
      () => db.prisma.emailServerProfile.create({ data: profile('taken') }),
      { reason: 'Conflict', kind: 'transient', scope: 'mailbox', code: '23505' },
    ],
    [
      'unique violation, raw query (P2010 + 23505)',
      () => db.prisma.$executeRawUnsafe('INSERT INTO counters VALUES (1, 0)'),
      { reason: 'Conflict', kind: 'transient', scope: 'mailbox', code: '23505' },
    ],
    [
      'foreign key violation (P2003)',
      () =>
        db.prisma.mailbox.create({
          data: {
            address: 'nobody@contoso.com',
            ownerType: 'User',
            ownerId: 'u1',
            profileId: '00000000-0000-4000-8000-000000000000',
          },
        }),
      { reason: 'Conflict', kind: 'transient', scope: 'mailbox', code: '23503' },
    ],
    [
      'record to update not found (P2025)',
      () => db.prisma.emailServerProfile.update({ where: { name: 'missing' }, data: { tenantId: 't' } }),
      { reason: 'NotFound', kind: 'permanent', scope: 'mailbox', code: 'P2025' },
    ],
    [
      'server not reachable, model query (P1001)',
      async () => {
        const prisma = createPrisma(refusedUrl, { maxConnections: 1 });
        try {
          return await prisma.emailServerProfile.findMany();
        } finally {
          await prisma.$disconnect();
        }
      },
      { reason: 'Database', kind: 'transient', scope: 'app', code: 'P1001' },
    ],
    [
      'server not reachable, raw query (P2010, DatabaseNotReachable)',
      async () => {
        const prisma = createPrisma(refusedUrl, { maxConnections: 1 });
        try {
          return await prisma.$queryRawUnsafe('SELECT 1');
        } finally {
          await prisma.$disconnect();
        }
      },
      { reason: 'Database', kind: 'transient', scope: 'app', code: 'DatabaseNotReachable' },
    ],
    [
      'server not reachable, our own SQL over the shared pool (socket error)',
      async () => {
        const prisma = createPrisma(refusedUrl, { maxConnections: 1 });
        try {
          return await sqlClientOf(prisma).query(Prisma.sql`SELECT 1`);
        } finally {
          await prisma.$disconnect();
        }
      },
      { reason: 'Database', kind: 'transient', scope: 'app', code: 'ECONNREFUSED' },
    ],
    [
      'connection terminated by an administrator (57P01)',
      () =>
        db.prisma.$transaction((tx) => tx.$queryRawUnsafe('SELECT pg_terminate_backend(pg_backend_pid())')),
      { reason: 'Database', kind: 'transient', scope: 'app', code: '57P01' },
    ],
    [
      'database does not exist (3D000)',
      async () => {
        const prisma = createPrisma(withDatabase(db.url, 'sf_no_such_database'), { maxConnections: 1 });
        try {
          return await prisma.$queryRawUnsafe('SELECT 1');
        } finally {
          await prisma.$disconnect();
        }
      },
      { reason: 'DatabaseSetup', kind: 'permanent', scope: 'app', code: '3D000' },
    ],
    [
      'table missing: migrations not applied (42P01)',
      () => db.prisma.$queryRawUnsafe('SELECT * FROM "NoSuchTable"'),
      { reason: 'DatabaseSetup', kind: 'permanent', scope: 'app', code: '42P01' },
    ],
    [
      'interactive transaction past its timeout (P2028)',
      () =>
        db.prisma.$transaction(
          async (tx) => {
            await tx.$executeRawUnsafe('SELECT pg_sleep(0.3)');
            await tx.emailServerProfile.count();
          },
          { timeout: 100 },
        ),
      { reason: 'Timeout', kind: 'transient', scope: 'mailbox', code: 'P2028' },
    ],
    [
      'an error of ours: division by zero (22012)',
      () => db.prisma.$queryRawUnsafe('SELECT 1/0'),
      { reason: 'Unexpected', kind: 'transient', scope: 'mailbox', code: '22012' },
    ],
    [
      'node-postgres: unique violation (DatabaseError 23505)',
      async () => {
        const client = new Client({ connectionString: db.url });
        await client.connect();
        try {
          return await client.query('INSERT INTO counters VALUES (1, 0)');
        } finally {
          await client.end();
        }
      },
      { reason: 'Conflict', kind: 'transient', scope: 'mailbox', code: '23505' },
    ],
    [
      'node-postgres: duplicate database (42P04)',
      async () => {
        const client = new Client({ connectionString: db.url });
        await client.connect();
        try {
          return await client.query(
            `CREATE DATABASE "${decodeURIComponent(new URL(db.url).pathname.slice(1))}"`,
          );
        } finally {
          await client.end();
        }
      },
      { reason: 'Conflict', kind: 'transient', scope: 'mailbox', code: '42P04' },
    ],
  ];

  test.each(rows)('%s', async (_name, work, expected) => {
    expect(classified(await failure(work))).toEqual(expected);
  });

  test('serialization failure between two transactions: TransactionConflict (a bare DriverAdapterError)', async () => {
    let bothRead!: () => void;
    const gate = new Promise<void>((resolve) => (bothRead = resolve));
    let reads = 0;
    const results = await Promise.allSettled(
      [0, 1].map(() =>
        db.prisma.$transaction(
          async (tx) => {
            await tx.$queryRawUnsafe('SELECT v FROM counters WHERE id = 1');
            if (++reads === 2) bothRead();
            await gate;
            await tx.$executeRawUnsafe('UPDATE counters SET v = v + 1 WHERE id = 1');
          },
          { isolationLevel: 'Serializable' },
        ),
      ),
    );
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(errors).toHaveLength(1);
    expect(classified(errors[0])).toEqual({
      reason: 'TransactionConflict',
      kind: 'transient',
      scope: 'app',
      code: '40001',
    });
  });

  test('deadlock between two transactions: TransactionConflict (40P01)', async () => {
    let bothLocked!: () => void;
    const gate = new Promise<void>((resolve) => (bothLocked = resolve));
    let locks = 0;
    const results = await Promise.allSettled(
      [
        [1, 2],
        [2, 1],
      ].map(([first, second]) =>
        db.prisma.$transaction(async (tx) => {
          await tx.$executeRawUnsafe(`UPDATE counters SET v = v + 1 WHERE id = ${first}`);
          if (++locks === 2) bothLocked();
          await gate;
          await tx.$executeRawUnsafe(`UPDATE counters SET v = v + 1 WHERE id = ${second}`);
        }),
      ),
    );
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(errors).toHaveLength(1);
    expect(classified(errors[0])).toEqual({
      reason: 'TransactionConflict',
      kind: 'transient',
      scope: 'app',
      code: '40P01',
    });
  });
});

describe('shapes that cannot be produced safely on a shared server', () => {
  // Built with the drivers' own classes, as they report them (PostgreSQL Appendix A error codes;
  // @prisma/adapter-pg maps 53300 to the TooManyConnections kind).
  const pgError = (code: string, message: string) =>
    Object.assign(new DatabaseError(message, 0, 'error'), { code });
  test.each([
    [
      'too many connections (53300)',
      pgError('53300', 'sorry, too many clients already'),
      'Database',
      '53300',
    ],
    ['connection failure (08006)', pgError('08006', 'connection failure'), 'Database', '08006'],
    [
      'server starting up (57P03)',
      pgError('57P03', 'the database system is starting up'),
      'Database',
      '57P03',
    ],
    [
      'adapter: too many connections',
      new DriverAdapterError({ kind: 'TooManyConnections', cause: 'sorry, too many clients already' }),
      'Database',
      'TooManyConnections',
    ],
  ])('%s', (_name, error, reason, code) => {
    expect(classified(error)).toEqual({ reason, kind: 'transient', scope: 'app', code });
  });

  test('anything else is not the database classifier’s', () => {
    expect(classifyDatabaseError(new Error('boom'))).toBeUndefined();
    expect(
      classifyDatabaseError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(undefined);
    expect(classifyDatabaseError(null)).toBeUndefined();
  });
});
