import fc from 'fast-check';
import {
  bodyFor,
  contentTypes,
  nastyValue,
  payloadFor,
  valueFor,
  type JsonSchema,
  type KnownIds,
} from './fuzz-support';
import { waitFor } from '@syncfleet/testing';
import { assertDocumented } from './openapi';
import {
  ADMIN_TOKEN,
  AUTH,
  mailboxInput,
  profileInput,
  startConsole,
  type ConsoleHarness,
} from './test-support';

/**
 * Property-based fuzzing of every operation in the console's OpenAPI document — so a new route is
 * covered as soon as it is documented (and app.ts refuses to start with an undocumented one).
 * Requests: schema-valid and schema-mutated bodies, NUL/surrogates/huge strings, wrong types, wrong
 * content types, unknown or garbage path ids and query values.
 * Asserted for each: no 5xx; every 4xx is a JSON error naming what was wrong; a refused state-changing
 * request changes nothing stored; no secret in any response, and (at the end) in any log line.
 *
 * Bounded for CI (FUZZ_RUNS per operation, FUZZ_TIME_MS in all); reproducible (FUZZ_SEED). A longer
 * run: FUZZ_RUNS=2000 FUZZ_TIME_MS=600000 npx jest apps/console/src/fuzz.test.ts
 */
const SEED = Number(process.env.FUZZ_SEED ?? 16_2026);
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const TIME_MS = Number(process.env.FUZZ_TIME_MS ?? 6_000);
const SECRET = 'Fuzz-Secret-Walrus-Lantern-90210';

let h: ConsoleHarness;
let doc: { paths: Record<string, Record<string, Operation>> };
const seeded = { profileId: '', mailboxId: '', alertId: '' };
/** Every long client secret a request sent: none may ever come back or be logged. */
const sentSecrets = new Set<string>([SECRET, ADMIN_TOKEN]);

interface Operation {
  parameters: { name: string; in: 'path' | 'query'; schema: JsonSchema }[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
}

beforeAll(async () => {
  h = await startConsole('fuzz');
  doc = (await h.app.inject({ method: 'GET', url: '/api/openapi.json', headers: AUTH })).json();
  await reseed();
}, 30_000);
afterAll(() => h?.close());

/** The fuzzer may delete what it found: put a profile, mailbox and alert back when gone. */
async function reseed() {
  const p = h.db.prisma;
  if (!seeded.profileId || !(await p.emailServerProfile.findUnique({ where: { id: seeded.profileId } }))) {
    const sealed = h.secretBox.seal(SECRET);
    const input = profileInput({ name: `fuzz-${Date.now()}` });
    seeded.profileId = (
      await p.emailServerProfile.create({
        data: {
          name: input.name as string,
          tenantId: input.tenantId,
          clientId: input.clientId,
          clientSecretCiphertext: sealed.ciphertext,
          clientSecretKeyId: sealed.keyId,
        },
      })
    ).id;
  }
  if (!seeded.mailboxId || !(await p.mailbox.findUnique({ where: { id: seeded.mailboxId } }))) {
    const input = mailboxInput(seeded.profileId, {
      address: `fuzz-${Date.now()}@contoso.test`,
      owner: { type: 'User', id: `fuzz-owner-${Date.now()}` },
    });
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/mailboxes',
      headers: AUTH,
      payload: input,
    });
    seeded.mailboxId = created.json().id;
  }
  if (!seeded.alertId || !(await p.alert.findUnique({ where: { id: seeded.alertId } }))) {
    seeded.alertId = (
      await p.alert.create({
        data: { severity: 'Warning', code: 'Fuzz', message: 'seeded', mailboxId: seeded.mailboxId },
      })
    ).id;
  }
}

/** Everything a request could change, in a comparable form. */
async function snapshot() {
  const p = h.db.prisma;
  const [profiles, mailboxes, workloads, alerts, emails, parties, attachments] = await Promise.all([
    p.emailServerProfile.findMany({ orderBy: { id: 'asc' } }),
    p.mailbox.findMany({ orderBy: { id: 'asc' } }),
    p.mailboxWorkload.findMany({ orderBy: [{ mailboxId: 'asc' }, { workload: 'asc' }] }),
    p.alert.findMany({ orderBy: { id: 'asc' } }),
    p.emailActivity.findMany({ orderBy: { id: 'asc' } }),
    p.emailParty.count(),
    p.emailAttachment.count(),
  ]);
  return { profiles, mailboxes, workloads, alerts, emails, parties, attachments } as Record<string, unknown>;
}

/** What differs between two snapshots: the tables, and the first differing row of each (short). */
function changed(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(before)) {
    const [b, a] = [before[key], after[key]];
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    if (Array.isArray(b) && Array.isArray(a)) {
      const i = b.findIndex((row, n) => JSON.stringify(row) !== JSON.stringify(a[n]));
      out.push(
        `${key}: ${b.length} → ${a.length} rows; first difference ${JSON.stringify(b[i]).slice(0, 400)} → ${JSON.stringify(a[i]).slice(0, 400)}`,
      );
    } else out.push(`${key}: ${JSON.stringify(b)} → ${JSON.stringify(a)}`);
  }
  return out;
}

function idsFor(path: string): KnownIds {
  const resource = path.split('/')[2];
  const real =
    resource === 'profiles'
      ? seeded.profileId
      : resource === 'mailboxes'
        ? seeded.mailboxId
        : resource === 'alerts'
          ? seeded.alertId
          : undefined;
  return { uuids: () => [real, seeded.profileId, seeded.mailboxId].filter((x): x is string => !!x) };
}

function requestFor(path: string, method: string, op: Operation) {
  const ids = idsFor(path);
  const pathId = fc.oneof(
    { weight: 6, arbitrary: fc.constant(null).map(() => ids.uuids()[0]!) },
    { weight: 2, arbitrary: fc.uuid({ version: 4 }) },
    {
      weight: 2,
      arbitrary: nastyValue.map((v) => encodeURIComponent(String(JSON.stringify(v) ?? '')).slice(0, 2000)),
    },
    { weight: 1, arbitrary: fc.constantFrom('%00', '..%2F..%2F', 'a'.repeat(5000), '%ZZ', '%E0%A4%A') },
  );
  const query = fc.array(
    fc.oneof(
      ...op.parameters
        .filter((p) => p.in === 'query')
        .map((p) =>
          fc.tuple(
            fc.constant(p.name),
            fc
              .oneof(valueFor(p.schema, ids), nastyValue)
              .map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))),
          ),
        ),
      fc.tuple(
        fc.constantFrom('unknown', 'limit', '__proto__'),
        nastyValue.map((v) => String(JSON.stringify(v) ?? '')),
      ),
    ),
    { maxLength: 4 },
  );
  const schema = op.requestBody?.content['application/json'].schema;
  const payload = schema
    ? payloadFor(bodyFor(schema, ids))
    : fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: payloadFor(nastyValue) },
      );
  const auth = fc.oneof(
    { weight: 12, arbitrary: fc.constant(AUTH.authorization) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        undefined,
        `Bearer ${ADMIN_TOKEN}x`,
        'Basic \u0000',
        `Basic ${Buffer.from(`:${ADMIN_TOKEN}`).toString('base64')}`,
      ),
    },
  );
  return fc.record({ pathId, query, payload, contentType: contentTypes, auth }).map((r) => {
    const search = new URLSearchParams(r.query).toString();
    return {
      method: method.toUpperCase() as 'GET',
      url: path.replace('{id}', r.pathId) + (search ? `?${search}` : ''),
      payload: r.payload,
      headers: {
        ...(r.auth === undefined ? {} : { authorization: r.auth }),
        ...(r.contentType === undefined || r.payload === undefined ? {} : { 'content-type': r.contentType }),
      },
    };
  });
}

function assertNoSecret(text: string) {
  for (const secret of sentSecrets) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\./); // a sealed secret
}

function rememberSecrets(payload: string | undefined) {
  try {
    const secret = (JSON.parse(payload ?? '') as { clientSecret?: unknown })?.clientSecret;
    if (typeof secret === 'string' && secret.length >= 12) sentSecrets.add(secret);
  } catch {
    // not JSON: no secret to remember
  }
}

const runsPerOperation = new Map<string, number>();

describe('fuzzing every documented operation', () => {
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );

  test('the document lists every operation (an undocumented route would stop the console)', () => {
    expect(operations().length).toBeGreaterThanOrEqual(22);
    expect(() => assertDocumented([{ method: 'POST', url: '/api/new-thing/:id' }])).toThrow(
      /POST \/api\/new-thing\/\{id\}/,
    );
  });

  test(
    'no 5xx, every 4xx says what was wrong, refusals change nothing, no secret leaks',
    async () => {
      // FUZZ_ONLY="POST /api/emails" narrows a run (seeds stay those of the full list, to reproduce).
      const ops = operations().filter(
        (o) => !process.env.FUZZ_ONLY || `${o.method.toUpperCase()} ${o.path}` === process.env.FUZZ_ONLY,
      );
      const perOperationMs = Math.max(300, Math.floor(TIME_MS / ops.length));
      for (const { path, method, op } of ops) {
        const key = `${method.toUpperCase()} ${path}`;
        const index = operations().findIndex((o) => o.path === path && o.method === method);
        const deadline = Date.now() + perOperationMs;
        await fc.assert(
          fc.asyncProperty(requestFor(path, method, op), async (request) => {
            // The time budget is enforced here, not with fast-check's interruptAfterTimeLimit: that
            // stops waiting for a running request, which would then change data under the next one.
            if (runsPerOperation.get(key) && Date.now() > deadline) return;
            // An accepted bulk operation (202) goes on in the background: let it end before the
            // next request's before/after snapshot.
            await waitFor(
              async () => (await h.db.prisma.bulkOperation.count({ where: { status: 'Running' } })) === 0,
              {
                timeoutMs: 30_000,
                description: 'background bulk operations finished',
              },
            );
            await reseed();
            const changes = method !== 'get';
            const before = changes ? await snapshot() : {};
            rememberSecrets(request.payload);
            const response = await h.app.inject(request);
            runsPerOperation.set(key, (runsPerOperation.get(key) ?? 0) + 1);
            const context = `${request.method} ${request.url.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
            expect([context, response.statusCode < 500]).toEqual([context, true]);
            assertNoSecret(response.body);
            assertNoSecret(JSON.stringify(response.headers));
            if (response.statusCode >= 400) {
              const error = (
                response.json() as {
                  error?: { code?: string; message?: string; fields?: { path: string; message: string }[] };
                }
              ).error;
              expect([context, typeof error?.code, (error?.message ?? '').length > 10]).toEqual([
                context,
                'string',
                true,
              ]);
              if (error?.fields) for (const f of error.fields) expect(f.message.length).toBeGreaterThan(0);
              if (changes) expect([context, changed(before, await snapshot())]).toEqual([context, []]);
            }
          }),
          {
            seed: SEED + index,
            numRuns: RUNS,
            endOnFailure: true,
          },
        );
      }
      // Every operation was exercised at least once within the budget.
      expect(
        ops.map((o) => `${o.method.toUpperCase()} ${o.path}`).filter((k) => !runsPerOperation.get(k)),
      ).toEqual([]);
      assertNoSecret(h.logs.text());
    },
    TIME_MS + 60_000,
  );
});
