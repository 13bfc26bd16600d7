import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { classifyGraphError } from './errors';
import { createTokenProvider } from './token-provider';

/** A port nobody listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Real fetch with an optional timeout, as FleetTransport does. */
class Fetching implements Middleware {
  constructor(private readonly timeoutMs?: number) {}
  async execute(context: Context): Promise<void> {
    const signal = this.timeoutMs ? AbortSignal.timeout(this.timeoutMs) : undefined;
    context.response = await fetch(context.request, { ...context.options, signal } as RequestInit);
  }
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );

let silent: Server;
const sockets: Socket[] = [];
beforeAll(async () => {
  // Accepts connections and never answers: a request to it can only time out.
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe('failures without an HTTP answer', () => {
  test('connection refused, through the Graph client: Network', async () => {
    const port = await closedPort();
    const client = Client.initWithMiddleware({
      middleware: new Fetching(),
      baseUrl: `http://127.0.0.1:${port}`,
    });
    const thrown = await failure(client.api('/users/a@contoso.com/messages').get());
    expect(classifyGraphError(thrown)).toMatchObject({
      reason: 'Network',
      kind: 'transient',
      scope: 'mailbox',
    });
  });

  test('connection refused, from fetch itself: Network with the socket code', async () => {
    const port = await closedPort();
    const thrown = await failure(fetch(`http://127.0.0.1:${port}/`));
    expect(classifyGraphError(thrown)).toMatchObject({ reason: 'Network', code: 'ECONNREFUSED' });
  });

  test('no answer before the timeout, through the Graph client: Timeout', async () => {
    const { port } = silent.address() as AddressInfo;
    const client = Client.initWithMiddleware({
      middleware: new Fetching(100),
      baseUrl: `http://127.0.0.1:${port}`,
    });
    const thrown = await failure(client.api('/users/a@contoso.com/messages').get());
    expect(classifyGraphError(thrown)).toMatchObject({
      reason: 'Timeout',
      kind: 'transient',
      scope: 'mailbox',
      code: 'TimeoutError',
    });
  });

  test("msal-node cannot reach the token endpoint (ClientAuthError): AuthUnavailable, the profile's", async () => {
    const port = await closedPort();
    const tokens = createTokenProvider(
      {
        tenantId: 'contoso',
        clientId: '11111111-2222-3333-4444-555555555555',
        clientSecret: 'secret',
        authorityUrl: `https://127.0.0.1:${port}`,
      },
      { timeoutMs: 5_000 },
    );
    const thrown = await failure(tokens.getAccessToken());
    expect(thrown).toMatchObject({ name: 'ClientAuthError' });
    expect(classifyGraphError(thrown)).toMatchObject({
      reason: 'AuthUnavailable',
      kind: 'transient',
      scope: 'profile',
    });
  });
});
