import { createHash } from 'node:crypto';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Pool, QueryConfig } from 'pg';
import pg from 'pg';
import type { Prisma } from './generated/prisma/client';
import { asDatabaseError } from './errors';

/**
 * SQL through the same `pg` pool Prisma's driver adapter uses, for the few hot statements where
 * the Prisma client's per-query overhead shows in profiles (the idle cycle: claim and finish). The
 * statements are built with `Prisma.sql` templates (parameters are never interpolated) and run as
 * one round trip each.
 *
 * Times: Prisma stores `DateTime` as `timestamp(3)` WITHOUT time zone holding UTC. So dates are
 * sent as ISO strings (an offset in a `timestamp` literal is ignored, and ISO is UTC) and read back
 * as UTC — never through the process's local time zone, as `pg`'s defaults would.
 */
export interface SqlClient {
  /**
   * Runs one statement and returns its rows. `prepare` makes it a named prepared statement on each
   * pooled connection (parsed and planned once per connection): use it for fixed-shape statements
   * run at high rate, never for statements whose text varies with the data.
   */
  query<Row>(statement: Prisma.Sql, options?: { prepare?: boolean }): Promise<Row[]>;
}

const TIMESTAMP = 1114; // timestamp without time zone
const TIMESTAMP_ARRAY = 1115;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMP) return parseUtcTimestamp;
    if (oid === TIMESTAMP_ARRAY) return (value: string) => pg.types.arrayParser(value, parseUtcTimestamp);
    return pg.types.getTypeParser(oid, format);
  },
} as QueryConfig['types'];

/** `2026-11-22 17:35:00.123` (UTC by our convention) → Date. */
export function parseUtcTimestamp(value: string): Date {
  return new Date(`${value.replace(' ', 'T')}Z`);
}

function toParameter(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

export function createSqlClient(pool: Pool): SqlClient {
  return {
    async query<Row>(statement: Prisma.Sql, options: { prepare?: boolean } = {}): Promise<Row[]> {
      const config: QueryConfig = {
        text: statement.text,
        values: statement.values.map(toParameter),
        types,
      };
      if (options.prepare) config.name = statementName(statement.text);
      // These statements bypass the Prisma client, so Prisma's instrumentation cannot see them: one
      // client span each, with the parameterized text (values are never in it).
      const span = tracer.startSpan('db.query', { kind: SpanKind.CLIENT });
      if (span.isRecording()) {
        span.updateName(`sql ${operationOf(statement.text)}`);
        span.setAttributes({ 'db.system.name': 'postgresql', 'db.query.text': statement.text });
      }
      try {
        const result = await pool.query(config);
        return result.rows as Row[];
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw asDatabaseError(error);
      } finally {
        span.end();
      }
    },
  };
}

const tracer = trace.getTracer('syncfleet');

/** The statement's first keyword (WITH, SELECT, UPDATE, …) as the span name's operation. */
function operationOf(text: string): string {
  return /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
}

const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `sf_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

type DateKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends Date ? K : never }[keyof T];

/**
 * Decodes a row that PostgreSQL encoded with `to_jsonb(...)`: its timestamps arrive as strings and
 * become Dates. `dateFields` must name exactly the model's DateTime fields: forgetting one (or
 * naming a field that is not a date) fails to compile.
 */
export function rowDecoder<T>() {
  return <const K extends readonly DateKeys<T>[]>(
      ...dateFields: DateKeys<T> extends K[number] ? K : [never, 'missing DateTime fields']
    ) =>
    (json: unknown): T => {
      const row = { ...(json as Record<string, unknown>) };
      for (const field of dateFields as readonly string[]) {
        const value = row[field];
        if (typeof value === 'string') row[field] = parseUtcTimestamp(value);
      }
      return row as T;
    };
}
