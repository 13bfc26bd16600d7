import {
  AuthenticationHandler,
  Client,
  RedirectHandler,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type Context,
  type MiddlewareOptions,
} from '@microsoft/microsoft-graph-client';
import type { SlotLimiter } from '@syncfleet/queues';
import type { Dispatcher } from 'undici';
import { endpointProblem } from './endpoints';
import { SyncError } from '@syncfleet/errors';
import { parseRetryAfter } from './errors';
import { rolesOfToken } from './roles';
import { createTokenProvider, type AppCredentials, type TokenProvider } from './token-provider';
import { FleetTransport, type MailboxRoute, type TransportHooks } from './transport';

export interface GraphProfile {
  id: string;
  tenantId: string;
  clientId: string;
  authorityUrl: string;
  /** Graph root without version, e.g. https://graph.microsoft.com */
  graphBaseUrl: string;
  maxConcurrentConnections: number;
  connectionTimeoutSec: number;
  /** Changes when the profile does: cached clients are rebuilt. */
  updatedAt: Date;
}

export interface GraphMailbox {
  id: string;
  address: string;
}

/** Carries the mailbox route through the Graph client's middleware chain to FleetTransport. */
class RouteOption implements MiddlewareOptions {
  constructor(readonly route: MailboxRoute) {}
}

/** Retry-After above this is not slept on inside a job: the error policy postpones the mailbox. */
const IN_PROCESS_RETRY_MAX_MS = 15_000;

/** Whether the retry middleware may wait for this 429/503/504 in process (a short Retry-After). */
function retryInProcess(response: Response): boolean {
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  return retryAfter === undefined || retryAfter <= IN_PROCESS_RETRY_MAX_MS;
}

/**
 * Retry options for a request that must not run twice (message: send): a 429 or 503 was refused
 * and is retried as usual; a 504 may have been passed on and accepted, so it is never retried —
 * the caller resolves it by looking (outgoing-email README, "Exactly once").
 */
export function nonIdempotentRetryOptions(maxRetries = 3): RetryHandlerOptions {
  return new RetryHandlerOptions(1, maxRetries, (_delay, _attempt, _req, _opts, response) =>
    response.status === 504 ? false : retryInProcess(response),
  );
}

export interface GraphClientsOptions {
  limiter: SlotLimiter;
  /** Decrypts a profile's client secret only when a client is (re)built. */
  loadSecret(profileId: string): Promise<string>;
  dispatcher?: Dispatcher;
  hooks?: TransportHooks;
  maxRetries?: number;
  /** Hosts allowed besides Microsoft's endpoints (GRAPH_ALLOWED_HOSTS): see endpoints.ts. */
  allowedHosts?: readonly string[];
}

/** One mailbox's view of Graph: every request carries X-AnchorMailbox and the mailbox's route. */
export interface MailboxGraph {
  readonly mailbox: GraphMailbox;
  readonly client: Client;
  /**
   * A request to `path` (relative to /v1.0, or an absolute nextLink/deltaLink). `options` adds
   * middleware options (e.g. RetryHandlerOptions) next to the mailbox route.
   */
  api(path: string, options?: MiddlewareOptions[]): ReturnType<Client['api']>;
}

/**
 * One official Graph client and one msal-node token cache per profile, shared by every job in the
 * process. Middleware: Authentication → Retry (429/503/504, honours Retry-After) → Redirect →
 * Telemetry → FleetTransport (slots, timeouts, Retry-After gate).
 */
export class GraphClients {
  private readonly cache = new Map<string, { version: number; client: Client; tokens: TokenProvider }>();

  constructor(private readonly options: GraphClientsOptions) {}

  async forProfile(profile: GraphProfile): Promise<Client> {
    return (await this.entry(profile)).client;
  }

  private async entry(profile: GraphProfile) {
    const cached = this.cache.get(profile.id);
    if (cached && cached.version === profile.updatedAt.getTime()) return cached;
    // Checked before the secret is even decrypted: a profile row pointing elsewhere (changed in the
    // database, or before the allowed list was narrowed) never receives it.
    for (const [kind, url] of [
      ['authority', profile.authorityUrl],
      ['graph', profile.graphBaseUrl],
    ] as const) {
      const problem = endpointProblem(url, kind, this.options.allowedHosts);
      if (problem) throw new SyncError('EndpointNotAllowed', `The profile's ${kind} URL ${problem}.`);
    }
    const credentials: AppCredentials = {
      tenantId: profile.tenantId,
      clientId: profile.clientId,
      authorityUrl: profile.authorityUrl,
      clientSecret: await this.options.loadSecret(profile.id),
    };
    const tokens = createTokenProvider(credentials, {
      dispatcher: this.options.dispatcher,
      timeoutMs: profile.connectionTimeoutSec * 1000,
    });
    const retry = new RetryHandler(
      new RetryHandlerOptions(1, this.options.maxRetries ?? 3, (_delay, _attempt, _req, _opts, response) =>
        retryInProcess(response),
      ),
    );
    const chain = [
      new AuthenticationHandler({ getAccessToken: () => tokens.getAccessToken() }),
      retry,
      new RedirectHandler(),
      new TelemetryHandler(),
      new FleetTransport(this.options.limiter, routeOf, this.options.dispatcher, this.options.hooks),
    ];
    for (let i = 0; i < chain.length - 1; i++) chain[i]!.setNext(chain[i + 1]!);
    const host = new URL(profile.graphBaseUrl).hostname;
    const client = Client.initWithMiddleware({
      middleware: chain[0]!,
      baseUrl: profile.graphBaseUrl.replace(/\/+$/, ''),
      defaultVersion: 'v1.0',
      // The client attaches tokens only to Graph hosts or these (compared without the port).
      customHosts: new Set([host]),
    });
    const entry = { version: profile.updatedAt.getTime(), client, tokens };
    this.cache.set(profile.id, entry);
    return entry;
  }

  /**
   * The token is acquired here, before any request: msal-node's own error (e.g. invalid_client for
   * a wrong secret) then reaches the error taxonomy intact, whereas inside a request the Graph client
   * would wrap it into a GraphError without its code. msal caches the token, so this is free.
   */
  async forMailbox(
    profile: GraphProfile,
    mailbox: GraphMailbox,
    signal?: AbortSignal,
  ): Promise<MailboxGraph> {
    const { client, tokens } = await this.entry(profile);
    await tokens.getAccessToken(signal);
    const route: MailboxRoute = {
      profileId: profile.id,
      profileLimit: profile.maxConcurrentConnections,
      mailboxId: mailbox.id,
      timeoutMs: profile.connectionTimeoutSec * 1000,
      signal,
    };
    return {
      mailbox,
      client,
      api: (path: string, options: MiddlewareOptions[] = []) =>
        client
          .api(path)
          .header('X-AnchorMailbox', mailbox.address)
          .middlewareOptions([new RouteOption(route), ...options]),
    };
  }

  /**
   * The application permissions granted to the profile's app, as its current token says (roles.ts);
   * undefined when the token cannot be read. Acquires the token if needed (msal-node's errors reach
   * the caller intact, as in forMailbox).
   */
  async grantedRoles(profile: GraphProfile, signal?: AbortSignal): Promise<string[] | undefined> {
    const { tokens } = await this.entry(profile);
    return rolesOfToken(await tokens.getAccessToken(signal));
  }

  /** Forget a profile's client (secret or settings changed). */
  invalidate(profileId: string): void {
    this.cache.delete(profileId);
  }
}

function routeOf(context: Context): MailboxRoute {
  const option = context.middlewareControl?.getMiddlewareOptions(RouteOption) as RouteOption | undefined;
  if (!option) throw new Error('Graph request made without a mailbox route: use GraphClients.forMailbox()');
  return option.route;
}
