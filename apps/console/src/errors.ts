import type { FastifyError, FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { classifyDatabaseError } from '@syncfleet/db';

export interface FieldError {
  path: string;
  message: string;
}

/** An error the API reports as `{ error: { code, message, fields? } }` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldError[],
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string) =>
  new ApiError(404, 'NotFound', `${what} ${id} does not exist.`);
export const conflict = (message: string) => new ApiError(409, 'Conflict', message);
export const validationError = (fields: FieldError[]) =>
  new ApiError(
    400,
    'ValidationError',
    `Invalid request: ${fields.map((f) => `${f.path || '(body)'}: ${f.message}`).join('; ')}`,
    fields,
  );

/**
 * Paths of every string (or key) in `value` holding a NUL character. PostgreSQL text cannot store
 * U+0000 (it refuses with SQLSTATE 22021), so the API refuses it up front for every body, query and
 * path parameter: one rule, applied before any schema, so a new route has it without asking.
 */
export function nulPaths(value: unknown, path: string[] = [], found: FieldError[] = []): FieldError[] {
  const message = 'must not contain NUL characters (\\u0000)';
  if (typeof value === 'string') {
    if (value.includes('\u0000')) found.push({ path: path.join('.'), message });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => nulPaths(item, [...path, String(i)], found));
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000'))
        found.push({ path: [...path, key.replaceAll('\u0000', '\\u0000')].join('.'), message });
      else nulPaths(item, [...path, key], found);
    }
  }
  return found;
}

/** Parses `data` with `schema`, or throws a 400 naming every bad field. */
export function parse<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const nul = nulPaths(data);
  if (nul.length) throw validationError(nul);
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw validationError(
    result.error.issues.flatMap((issue) => {
      const path = issue.path.map(String).join('.');
      // An unknown key is reported at the key itself, so a form can point at it.
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: 'unknown field' }));
      return [{ path, message: issue.message }];
    }),
  );
}

export function errorBody(code: string, message: string, fields?: FieldError[]) {
  return { error: fields ? { code, message, fields } : { code, message } };
}

/**
 * One place maps failures to responses. Messages of unexpected errors are not echoed (they may carry
 * database details); they are logged through the redacting logger instead.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError | Error, request, reply) => {
    if (error instanceof ApiError)
      return reply.status(error.statusCode).send(errorBody(error.code, error.message, error.fields));
    // Races the explicit checks did not see: a unique or foreign key constraint, a row deleted meanwhile.
    switch (classifyDatabaseError(error)?.reason) {
      case 'Conflict':
        return reply
          .status(409)
          .send(
            errorBody(
              'Conflict',
              'The change conflicts with an existing record, or the record is still referenced.',
            ),
          );
      case 'NotFound':
        return reply.status(404).send(errorBody('NotFound', 'The record does not exist (any more).'));
    }
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500)
      return reply
        .status(status)
        .send(errorBody(status === 400 ? 'BadRequest' : 'ClientError', error.message));
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send(errorBody('InternalError', 'Internal error; see the console logs.'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('NotFound', `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );
}
