import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client';
import { createSqlClient, type SqlClient } from './sql';

export interface CreatePrismaOptions {
  /** Pool size for this process (default 10). */
  maxConnections?: number;
}

const sqlClients = new WeakMap<object, SqlClient>();

/** One Prisma client per process, created in the app's main.ts and passed down explicitly. */
export function createPrisma(databaseUrl: string, { maxConnections = 10 }: CreatePrismaOptions = {}) {
  // Our own pool, handed to Prisma's driver adapter: the hot statements (sqlClientOf) share it.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: maxConnections });
  // An idle pooled connection that fails (a server restart or failover, an administrator's
  // termination, a database dropped while the pool winds down) is removed by the pool, which then
  // emits 'error' on itself; without a listener that event would crash the process
  // (https://node-postgres.com/apis/pool#error). The next query opens a new connection.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  sqlClients.set(prisma, createSqlClient(pool));
  // The pool is ours, so it is ours to end once Prisma has let go of it.
  const disconnect = prisma.$disconnect.bind(prisma);
  prisma.$disconnect = async () => {
    await disconnect();
    if (!pool.ended) await pool.end();
  };
  return prisma;
}

export type Db = ReturnType<typeof createPrisma>;

/** Plain SQL over the same connection pool as `prisma` (see sql.ts for when to use it). */
export function sqlClientOf(prisma: Db): SqlClient {
  const sql = sqlClients.get(prisma);
  if (!sql) throw new Error('sqlClientOf: this Prisma client was not made by createPrisma');
  return sql;
}
