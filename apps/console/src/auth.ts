import { createHash, timingSafeEqual } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors';

/**
 * Extracts the presented credential: `Bearer <token>`, or HTTP Basic with the token as password
 * (any user name) so a browser can open Bull Board.
 */
export function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(/\s+/, 2);
  if (!scheme || !value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** Constant-time comparison; hashing first makes the lengths equal without leaking the real length. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  const ok = timingSafeEqual(digest(presented ?? ''), digest(expected));
  return ok && presented !== undefined;
}

/** Failed authentications allowed per client address and window before the address is refused. */
export interface AuthFailureLimit {
  max: number;
  windowMs: number;
}

export const DEFAULT_AUTH_FAILURE_LIMIT: AuthFailureLimit = { max: 20, windowMs: 60_000 };

type FailureCounter = (
  request: FastifyRequest,
  options?: { increment?: boolean },
) => Promise<{ isAllowed: boolean; remaining?: number; ttlInSeconds?: number }>;

/**
 * Counts failed authentications per client address with @fastify/rate-limit's store (in-process,
 * per replica). Must be called once on the root instance, before the hooks below are created.
 */
export async function failureCounter(app: FastifyInstance, limit: AuthFailureLimit): Promise<FailureCounter> {
  if (!app.hasDecorator('createRateLimit')) await app.register(rateLimit, { global: false });
  return app.createRateLimit({ max: limit.max, timeWindow: limit.windowMs }) as FailureCounter;
}

/**
 * An onRequest hook requiring the admin token. `browserPrompt` adds `WWW-Authenticate: Basic` so
 * browsers ask for it (Bull Board); API clients get a Bearer challenge. An address that failed
 * `limit.max` times within the window is refused (429) before its token is even looked at — so
 * guessing gains nothing from a 200 among the 429s — until the window passes.
 */
export function requireAdmin(adminToken: string, failures: FailureCounter, { browserPrompt = false } = {}) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const seen = await failures(request, { increment: false });
    if (!seen.isAllowed && seen.remaining === 0) {
      request.log.warn({ ip: request.ip, url: request.url }, 'authentication refused: too many failures');
      return reply
        .status(429)
        .header('Retry-After', String(seen.ttlInSeconds ?? 60))
        .send(
          errorBody(
            'TooManyFailedAttempts',
            'Too many failed authentications from this address; retry later.',
          ),
        );
    }
    if (tokenMatches(presentedToken(request.headers.authorization), adminToken)) return;
    const counted = await failures(request);
    const message = request.headers.authorization
      ? 'The admin token is not valid.'
      : 'Authorization required: send "Authorization: Bearer <ADMIN_TOKEN>".';
    request.log.warn(
      {
        ip: request.ip,
        method: request.method,
        url: request.url.split('?')[0],
        scheme: request.headers.authorization?.split(/\s+/, 1)[0] ?? 'none',
        remaining: counted.remaining,
      },
      'authentication failed',
    );
    return reply
      .status(401)
      .header('WWW-Authenticate', browserPrompt ? 'Basic realm="syncfleet"' : 'Bearer realm="syncfleet"')
      .send(errorBody('Unauthorized', message));
  };
}
