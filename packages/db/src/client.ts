import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

export interface CreatePrismaOptions {
  /** Pool size for this process (default 10). */
  maxConnections?: number;
}

/** One Prisma client per process, created in the app's main.ts and passed down explicitly. */
export function createPrisma(databaseUrl: string, { maxConnections = 10 }: CreatePrismaOptions = {}) {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: maxConnections });
  return new PrismaClient({ adapter });
}

export type Db = ReturnType<typeof createPrisma>;
