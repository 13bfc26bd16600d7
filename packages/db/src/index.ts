export { createPrisma, type Db, type CreatePrismaOptions } from './client';
export {
  migrate,
  readMigrations,
  MigrationError,
  DEFAULT_MIGRATIONS_DIR,
  type MigrateResult,
} from './migrate';
export { ensureDatabase, dropDatabase, databaseName, withDatabase } from './database';
export * from './generated/prisma/client';
export { checkPostgres } from './preflight';
export { toDbWorkload, fromDbWorkload } from './workloads';
export { sqlClientOf } from './client';
export { rowDecoder, type SqlClient } from './sql';
export { classifyDatabaseError } from './errors';
