import type { z } from 'zod';
import type { SimResponse } from '../http/types';

/** Answers of the admin API (`/_sim`): errors name the offending field. */
export const adminError = (status: number, message: string, field?: string): SimResponse => ({
  status,
  body: {
    error: {
      code: status === 401 ? 'Unauthorized' : status === 404 ? 'NotFound' : 'BadRequest',
      message,
      field,
    },
  },
});

/** Parses admin input; a failure answers 400 naming the offending field. */
export function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> | SimResponse {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(',') : '');
  return adminError(400, `invalid field '${field}': ${issue?.message ?? 'invalid'}`, field);
}

export const isResp = (v: unknown): v is SimResponse =>
  !!v &&
  typeof v === 'object' &&
  typeof (v as SimResponse).status === 'number' &&
  'body' in (v as object) &&
  !!(v as { body: { error?: unknown } }).body?.error;

export const ok = (body: unknown, status = 200): SimResponse => ({ status, body });
