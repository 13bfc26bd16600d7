import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenSigner } from '../auth/tokens';
import type { FaultStore } from '../faults';
import { defaultErrorFor, latencyOf } from '../faults';
import { graphError, withInnerError } from '../http/errors';
import { createRouter, splitPath } from '../http/router';
import type { Route } from '../http/router';
import type { SimRequest, SimResponse } from '../http/types';
import { enterFlight, inc } from '../metrics';
import type { Mailbox } from '../store/model';
import type { Throttle } from '../throttle';
import { checkRoles, requirementOf } from '../auth/permissions';
import { handleBatch } from './batch';
import type { GraphCtx, GraphDeps } from './context';

export interface PipelineDeps extends GraphDeps {
  signer: TokenSigner;
  faults: FaultStore;
  throttle: Throttle;
  log: (line: string) => void;
}

const unauthorized = (message: string): SimResponse =>
  graphError(401, 'InvalidAuthenticationToken', message, {
    'www-authenticate':
      'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"',
  });

/**
 * `X-AnchorMailbox` forms: `UPN:addr`, `SMTP:addr`, `Oid:<id>@<tenant>`, or a bare address / id.
 * Any of the mailbox's addresses routes to it (primary, proxy addresses, UPN).
 */
export function anchorMatches(anchor: string, mailbox: Mailbox): boolean {
  const m = /^(upn|smtp|oid|puid):(.*)$/i.exec(anchor.trim());
  let value = (m ? (m[2] ?? '') : anchor).trim().toLowerCase();
  if (m && m[1]?.toLowerCase() === 'oid') value = value.split('@')[0] ?? '';
  return (
    value === mailbox.address ||
    value === mailbox.id.toLowerCase() ||
    value === mailbox.userPrincipalName ||
    mailbox.proxyAddresses.some((p) => p.slice(5).toLowerCase() === value)
  );
}

export function createGraphPipeline(deps: PipelineDeps, routes: Array<Route<GraphCtx>>) {
  const router = createRouter(routes);

  async function handle(req: SimRequest): Promise<SimResponse> {
    const requestId = randomUUID();
    const clientRequestId = req.headers['client-request-id'];
    let res: SimResponse;
    try {
      res = await serve(req);
    } catch (error) {
      deps.log(`graph: ${req.method} ${req.path} failed: ${(error as Error).stack ?? String(error)}`);
      res = graphError(500, 'InternalServerError', 'An internal server error occurred.');
    }
    withInnerError(res, requestId, clientRequestId);
    res.headers = {
      ...res.headers,
      'request-id': requestId,
      'client-request-id': clientRequestId ?? requestId,
    };
    return res;
  }

  async function serve(req: SimRequest): Promise<SimResponse> {
    const auth = req.headers.authorization;
    if (!auth || !/^bearer /i.test(auth)) return unauthorized('Access token is empty.');
    const claims = deps.signer.verify(auth.slice(7).trim());
    if ('invalid' in claims) return unauthorized(claims.invalid);
    if (!deps.store.tenants.has(claims.tid)) return unauthorized('Invalid tenant in token.');

    const segments = splitPath(req.path).slice(1); // drop "v1.0"
    if (segments.length === 1 && segments[0] === '$batch' && req.method === 'POST') {
      return handleBatch(req, handle);
    }
    const match = router.match(req.method, segments);
    if (!match) {
      const name = segments[segments.length - 1] ?? '';
      return graphError(400, 'BadRequest', `Resource not found for the segment '${name}'.`);
    }

    // Granted application permissions before anything is looked up (auth/permissions.ts).
    const requirement = requirementOf(req.method, match.route.pattern);
    const refused = checkRoles(claims.roles, requirement);
    if (refused) return refused;

    let mailbox: Mailbox | undefined;
    if (segments[0]?.toLowerCase() === 'users' && segments.length >= 2) {
      const key = segments[1] ?? '';
      // user: get — `/users/{id | userPrincipalName}`: an email address that is not the UPN is no key.
      mailbox = deps.store.findUser(key);
      if (!mailbox || mailbox.tenantId !== claims.tid) {
        const other = deps.store.findMailbox(key);
        if (other && other.tenantId === claims.tid && !deps.store.isStorageMailbox(other)) {
          return graphError(
            404,
            'MailboxNotEnabledForRESTAPI',
            'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
          );
        }
        // The directory answers for the user object itself; Exchange for what is inside the mailbox.
        return requirement?.surface === 'directory'
          ? graphError(
              404,
              'Request_ResourceNotFound',
              `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
            )
          : graphError(404, 'ErrorInvalidUser', `The requested user '${key}' is invalid.`);
      }
    }
    const appKey = `${claims.tid}:${claims.appid}`;
    const metrics = deps.metrics;
    metrics.requestsTotal++;
    inc(metrics.byApp, appKey);
    const routeLabel = `${req.method} /${match.route.pattern}`;
    inc(metrics.byRoute, routeLabel);

    if (mailbox) {
      inc(metrics.byMailbox, mailbox.id);
      const anchor = req.headers['x-anchormailbox'];
      if (anchor === undefined) {
        metrics.missingAnchorMailbox++;
        inc(metrics.missingAnchorByMailbox, mailbox.id);
      } else if (!anchorMatches(anchor, mailbox)) {
        return finish(
          graphError(
            400,
            'ErrorIncorrectRoutingHint',
            `The x-anchormailbox header '${anchor}' does not match the target mailbox of the request.`,
          ),
        );
      }
      deps.throttle.noteArrival(appKey, mailbox.id);
    }

    const endFlight = enterFlight(metrics, mailbox?.id, appKey);
    try {
      return finish(await admitted(req, match.route, match.params, { deps, claims, mailbox }, appKey));
    } finally {
      endFlight();
    }

    function finish(res: SimResponse): SimResponse {
      inc(metrics.byStatus, String(res.status));
      const retryAfter = res.headers?.['retry-after'];
      if (res.status === 429) {
        metrics.throttled429++;
        if (mailbox) inc(metrics.throttledByMailbox, mailbox.id);
      }
      if (retryAfter && (res.status === 429 || res.status === 503)) {
        deps.throttle.noteRetryAfter(appKey, mailbox?.id, Number(retryAfter));
      }
      return res;
    }
  }

  async function admitted(
    req: SimRequest,
    route: Route<GraphCtx>,
    params: string[],
    ctx: GraphCtx,
    appKey: string,
  ): Promise<SimResponse> {
    const { claims, mailbox } = ctx;
    const fault = deps.faults.take({
      mailboxId: mailbox?.id,
      tenantId: claims.tid,
      appId: claims.appid,
      path: req.path,
    });
    const verdict = deps.throttle.acquire(appKey, mailbox?.id, {
      method: req.method,
      bytes: req.bodyBytes ?? (req.body === undefined ? 0 : Buffer.byteLength(JSON.stringify(req.body))),
    });
    if (!verdict.ok) {
      const res = verdict.concurrency
        ? graphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.')
        : graphError(429, 'TooManyRequests', 'Please retry again later.');
      res.headers = { 'retry-after': String(verdict.retryAfterSeconds) };
      return res;
    }
    try {
      const latency = latencyOf(fault, deps.config.defaultLatencyMs);
      if (latency > 0) await sleep(latency);
      if (fault?.dropConnection) return { status: 0, drop: true };
      if (fault?.status && fault.status >= 400) {
        const [code, message] = defaultErrorFor(fault.status);
        const res = graphError(fault.status, fault.code ?? code, fault.message ?? message);
        if (fault.retryAfterSeconds !== undefined) {
          res.headers = { 'retry-after': String(fault.retryAfterSeconds) };
        }
        if (fault.malformedJson) res.malformed = true;
        return res;
      }
      const res = await route.handler(ctx, params, req);
      if (fault?.malformedJson) res.malformed = true;
      return res;
    } finally {
      verdict.release();
    }
  }

  return { handle };
}
