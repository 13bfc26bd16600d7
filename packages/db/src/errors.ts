import { isDriverAdapterError } from '@prisma/driver-adapter-utils';
import { firstLine, SyncError, type Reason } from '@syncfleet/errors';
import { DatabaseError } from 'pg';
import { Prisma } from './generated/prisma/client';

/**
 * Database failures → reasons. The one place that knows SQLSTATEs, Prisma error codes and the
 * driver adapter's error kinds; everything else switches on the SyncError reason.
 *
 * Shapes seen with Prisma 7 + @prisma/adapter-pg (recorded against PostgreSQL in errors.test.ts):
 * - model queries: PrismaClientKnownRequestError with a P-code (P2002, P2025, P1001…) and, when the
 *   driver failed, `meta.driverAdapterError.cause` = { kind, originalCode (SQLSTATE)… };
 * - raw queries: P2010 with the same `meta.driverAdapterError`;
 * - a failed commit or a query inside an interactive transaction: the bare DriverAdapterError;
 * - node-postgres used directly (migrations, database creation): pg's DatabaseError with `code`.
 */

/** SQLSTATE → reason (PostgreSQL documentation, Appendix A "PostgreSQL Error Codes"). */
const SQLSTATES: Record<string, Reason> = {
  '40001': 'TransactionConflict', // serialization_failure
  '40P01': 'TransactionConflict', // deadlock_detected
  '55P03': 'TransactionConflict', // lock_not_available
  '23505': 'Conflict', // unique_violation
  '23503': 'Conflict', // foreign_key_violation
  '23P01': 'Conflict', // exclusion_violation
  '42P04': 'Conflict', // duplicate_database
  '57P01': 'Database', // admin_shutdown
  '57P02': 'Database', // crash_shutdown
  '57P03': 'Database', // cannot_connect_now (starting up, recovering)
  '57014': 'Database', // query_canceled (statement_timeout, pg_cancel_backend)
  '3D000': 'DatabaseSetup', // invalid_catalog_name: the database does not exist
  '28000': 'DatabaseSetup', // invalid_authorization_specification
  '28P01': 'DatabaseSetup', // invalid_password
  '42P01': 'DatabaseSetup', // undefined_table: migrations not applied
  '42703': 'DatabaseSetup', // undefined_column
};
/** Whole SQLSTATE classes: 08 connection exception, 53 insufficient resources (53300 too many connections). */
const SQLSTATE_CLASSES: Record<string, Reason> = { '08': 'Database', '53': 'Database' };

/** The driver adapter's error kinds (@prisma/driver-adapter-utils MappedError) that carry no SQLSTATE. */
const ADAPTER_KINDS: Record<string, Reason> = {
  DatabaseNotReachable: 'Database',
  ConnectionClosed: 'Database',
  SocketTimeout: 'Database',
  TooManyConnections: 'Database',
  TlsConnectionError: 'Database',
  TransactionWriteConflict: 'TransactionConflict',
  UniqueConstraintViolation: 'Conflict',
  ForeignKeyConstraintViolation: 'Conflict',
  DatabaseDoesNotExist: 'DatabaseSetup',
  DatabaseAccessDenied: 'DatabaseSetup',
  AuthenticationFailed: 'DatabaseSetup',
  TableDoesNotExist: 'DatabaseSetup',
  ColumnNotFound: 'DatabaseSetup',
  DatabaseAlreadyExists: 'Conflict',
};

/** Prisma error codes (Prisma "Error message reference"). */
const PRISMA_CODES: Record<string, Reason> = {
  P1000: 'DatabaseSetup', // authentication failed
  P1001: 'Database', // can't reach database server
  P1002: 'Database', // reached but timed out
  P1003: 'DatabaseSetup', // database does not exist
  P1008: 'Database', // operations timed out
  P1010: 'DatabaseSetup', // access denied
  P1011: 'Database', // error opening a TLS connection
  P1017: 'Database', // server has closed the connection
  P2002: 'Conflict', // unique constraint failed
  P2003: 'Conflict', // foreign key constraint failed
  P2021: 'DatabaseSetup', // table does not exist
  P2022: 'DatabaseSetup', // column does not exist
  P2024: 'Database', // timed out fetching a connection from the pool
  P2025: 'NotFound', // a record required by the operation was not found
  P2028: 'Timeout', // interactive transaction expired (its timeout)
  P2034: 'TransactionConflict', // write conflict or deadlock: retry the transaction
};

interface AdapterCause {
  kind?: string;
  originalCode?: string;
  code?: string;
  originalMessage?: string;
  message?: string;
}

/**
 * node-postgres reports a failed connection with Node's own socket error (ECONNREFUSED…), which
 * says nothing about which server failed: errors of our pool are marked so they are known as the
 * database's, not taken for a failed request to Graph.
 */
export class DatabaseConnectionError extends Error {
  override name = 'DatabaseConnectionError';
  constructor(
    readonly code: string,
    cause: Error,
  ) {
    super(cause.message, { cause });
  }
}

/** What our pool's query rejected with, with socket errors marked as the database's. */
export function asDatabaseError(error: unknown): unknown {
  // Duck-typed: Node's socket errors may come from another realm (as under Jest).
  if (error instanceof DatabaseError || typeof error !== 'object' || error === null) return error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? new DatabaseConnectionError(code, error as Error) : error;
}

/**
 * A SyncError for any error raised by Prisma or node-postgres; undefined for anything else (the
 * Graph classifier decides those). Unknown database errors are Unexpected, with the code shown.
 */
export function classifyDatabaseError(error: unknown): SyncError | undefined {
  if (error instanceof DatabaseError) {
    return fromCodes(error.code, undefined, undefined, error.message, error);
  }
  if (error instanceof DatabaseConnectionError) {
    return new SyncError('Database', firstLine(error.message) || error.code, {
      code: error.code,
      cause: error,
    });
  }
  if (isAdapterError(error)) {
    const cause = error.cause as AdapterCause;
    return fromCodes(sqlstateOf(cause), cause.kind, undefined, adapterMessage(cause, error.message), error);
  }
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const cause = driverCause(error.meta);
    return fromCodes(
      sqlstateOf(cause),
      cause?.kind,
      error.code,
      cause ? adapterMessage(cause, error.message) : lastLine(error.message),
      error,
    );
  }
  if (error instanceof Prisma.PrismaClientInitializationError) {
    return fromCodes(undefined, undefined, error.errorCode, lastLine(error.message), error);
  }
  if (
    error instanceof Prisma.PrismaClientUnknownRequestError ||
    error instanceof Prisma.PrismaClientRustPanicError ||
    error instanceof Prisma.PrismaClientValidationError
  ) {
    return new SyncError('Unexpected', lastLine(error.message) || 'database client error', {
      code: error.name,
      cause: error,
    });
  }
  return undefined;
}

function fromCodes(
  sqlstate: string | undefined,
  kind: string | undefined,
  prismaCode: string | undefined,
  message: string,
  cause: unknown,
): SyncError {
  const reason =
    (sqlstate && (SQLSTATES[sqlstate] ?? SQLSTATE_CLASSES[sqlstate.slice(0, 2)])) ||
    (kind && ADAPTER_KINDS[kind]) ||
    (prismaCode && PRISMA_CODES[prismaCode]) ||
    'Unexpected';
  // P2010 only says "raw query failed": the adapter's kind says more.
  const code =
    sqlstate ?? (prismaCode === 'P2010' ? kind : prismaCode) ?? kind ?? prismaCode ?? 'DatabaseError';
  return new SyncError(reason, message || code, { code, cause });
}

function driverCause(meta: Record<string, unknown> | undefined): AdapterCause | undefined {
  const adapterError = meta?.driverAdapterError;
  return isAdapterError(adapterError) ? (adapterError.cause as AdapterCause) : undefined;
}

/** Prisma's own predicate, which expects an object. */
function isAdapterError(value: unknown): value is { cause: unknown; message: string } {
  return typeof value === 'object' && value !== null && isDriverAdapterError(value);
}

function sqlstateOf(cause: AdapterCause | undefined): string | undefined {
  const code = cause?.originalCode ?? cause?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function adapterMessage(cause: AdapterCause, fallback: string): string {
  return firstLine(cause.originalMessage ?? cause.message) || lastLine(fallback) || (cause.kind ?? '');
}

/** Prisma's messages start with the invocation and source excerpt; the cause is on the last line. */
function lastLine(message: string): string {
  const lines = message.trim().split('\n');
  return firstLine(lines[lines.length - 1]);
}
