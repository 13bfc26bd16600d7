import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
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

/**
 * An onRequest hook requiring the admin token. `browserPrompt` adds `WWW-Authenticate: Basic` so
 * browsers ask for it (Bull Board); API clients get a Bearer challenge.
 */
export function requireAdmin(adminToken: string, { browserPrompt = false } = {}) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (tokenMatches(presentedToken(request.headers.authorization), adminToken)) return;
    const message = request.headers.authorization
      ? 'The admin token is not valid.'
      : 'Authorization required: send "Authorization: Bearer <ADMIN_TOKEN>".';
    return reply
      .status(401)
      .header('WWW-Authenticate', browserPrompt ? 'Basic realm="syncfleet"' : 'Bearer realm="syncfleet"')
      .send(errorBody('Unauthorized', message));
  };
}
