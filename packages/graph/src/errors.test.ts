import { Client, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { REASONS, type SyncError } from '@syncfleet/errors';
import fixtures from './__fixtures__/graph-errors.json';
import { classifyGraphError, parseRetryAfter } from './errors';

interface Row {
  name: string;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
  expect: { reason: string; kind: string; scope: string; code: string; retryAfterMs?: number };
}

/** Answers every request with one recorded response: the official client turns it into its GraphError. */
class Replay implements Middleware {
  constructor(private readonly row: Row) {}
  async execute(context: Context): Promise<void> {
    context.response = new Response(JSON.stringify(this.row.body), {
      status: this.row.status,
      headers: { 'content-type': 'application/json', ...this.row.headers },
    });
  }
}

async function thrownBy(client: Client, path = '/users/adele@contoso.com/messages'): Promise<unknown> {
  return client
    .api(path)
    .get()
    .then(
      () => {
        throw new Error('expected the request to fail');
      },
      (error: unknown) => error,
    );
}

const shape = (e: SyncError | undefined) =>
  e && { reason: e.reason, kind: e.kind, scope: e.scope, code: e.code };

describe('Graph error responses through the official client', () => {
  test.each((fixtures.rows as Row[]).map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const thrown = await thrownBy(Client.initWithMiddleware({ middleware: new Replay(row) }));
    const error = classifyGraphError(thrown);
    const { retryAfterMs, ...expected } = row.expect;
    expect(shape(error)).toEqual(expected);
    expect(error?.details.status).toBe(row.status);
    expect(error?.details.retryAfterMs).toBe(retryAfterMs);
    expect(error?.details.cause).toBe(thrown);
  });

  test('every fixture row agrees with the reason table', () => {
    for (const row of fixtures.rows as Row[]) {
      const info = REASONS[row.expect.reason as keyof typeof REASONS];
      expect({ kind: info.kind, scope: info.scope }).toEqual({
        kind: row.expect.kind,
        scope: row.expect.scope,
      });
    }
  });
});

describe('Retry-After', () => {
  test('seconds, fractional seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('0.2', now)).toBe(200);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('not Graph, msal or network errors', () => {
  test('are left to the other classifiers', () => {
    expect(classifyGraphError(new Error('boom'))).toBeUndefined();
    expect(
      classifyGraphError(new TypeError("Cannot read properties of undefined (reading 'id')")),
    ).toBeUndefined();
    expect(classifyGraphError(undefined)).toBeUndefined();
    expect(classifyGraphError('a string')).toBeUndefined();
  });
});
