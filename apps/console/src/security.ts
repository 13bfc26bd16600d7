import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errorBody } from './errors';

/**
 * Security headers on every response, Bull Board's pages included. Bull Board's UI loads its own
 * scripts and styles from /queues/static, plus IBM Plex from Google Fonts; nothing may frame any
 * page (frame-ancestors 'none', X-Frame-Options DENY), and nosniff keeps JSON from being run as script.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
        fontSrc: ["'self'", 'https://fonts.gstatic.com', 'data:'],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    // Served over plain HTTP inside the cluster; HSTS belongs to the TLS-terminating Ingress.
    strictTransportSecurity: false,
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery guard for /api. A browser holding cached Basic credentials attaches
 * them to any request another site makes it send; such a request is either a "simple" one (an HTML
 * form: urlencoded, multipart or text/plain body) or carries an Origin header. So a state-changing
 * request must (1) have no body or a JSON one — the only kind a form cannot send and a cross-site
 * fetch cannot send without a CORS preflight, which this API never grants — and (2) when the
 * browser says where it comes from (Origin), come from the console itself or an allowed origin.
 */
export function sameOriginJsonOnly(allowedOrigins: string[]) {
  const allowed = new Set(allowedOrigins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (SAFE_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(origin, request.headers.host, allowed)) {
      request.log.warn({ origin, method: request.method, url: request.url }, 'cross-origin request refused');
      return reply
        .status(403)
        .send(
          errorBody(
            'CrossOriginRefused',
            `Requests from origin "${origin}" are not accepted; call the API from the console's own origin or a server.`,
          ),
        );
    }
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && !isJson(contentType))
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `Content-Type "${contentType}" is not accepted: send application/json (or no body).`,
      );
  };
}

function isJson(contentType: string): boolean {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json';
}

function originAllowed(origin: string, host: string | undefined, allowed: Set<string>): boolean {
  if (allowed.has(origin.toLowerCase())) return true;
  try {
    // The console's own pages (same host and port as the request) may call it.
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // "null" (sandboxed frames, file:) and garbage
  }
}
