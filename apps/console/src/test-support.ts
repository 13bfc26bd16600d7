import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { SecretBox, generateSecretKey } from '@syncfleet/config';
import { closeQueues, createQueues, createRedis, type WorkloadQueues } from '@syncfleet/queues';
import { createLogger } from '@syncfleet/telemetry';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@syncfleet/testing';
import { buildConsole } from './app';
import type { ConsoleDeps, TestAndEnableResult } from './types';

/** Response bodies in tests: loosely typed on purpose, the assertions check the shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Collects every log line the console writes, to assert what never appears in them. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface ConsoleHarness {
  app: FastifyInstance;
  db: TestDatabase;
  redis: TestRedis;
  queues: WorkloadQueues;
  secretBox: SecretBox;
  logs: LogCapture;
  testAndEnableCalls: string[];
  close(): Promise<void>;
}

/** A console on this test file's own database and queue prefix, with captured logs. */
export async function startConsole(
  label: string,
  overrides: Partial<
    Pick<
      ConsoleDeps,
      | 'testAndEnable'
      | 'clock'
      | 'security'
      | 'graphAllowedHosts'
      | 'listTenantUsers'
      | 'tenantGroups'
      | 'prisma'
    >
  > & {
    /** Called before the app is ready (to add hooks). */
    beforeReady?: (app: FastifyInstance) => void;
  } = {},
): Promise<ConsoleHarness> {
  const db = await createTestDatabase(label);
  const prisma = overrides.prisma ?? db.prisma;
  const redis = await createTestRedis(label);
  const connection = createRedis(redis.url);
  const queues = createQueues(connection, redis.prefix);
  const secretBox = new SecretBox([generateSecretKey('k1')]);
  const logs = new LogCapture();
  const testAndEnableCalls: string[] = [];
  const testAndEnable =
    overrides.testAndEnable ??
    (async (mailboxId: string): Promise<TestAndEnableResult> => {
      testAndEnableCalls.push(mailboxId);
      return {
        mailboxId,
        ok: false,
        checks: [
          { name: 'token', ok: true },
          { name: 'mailbox', ok: false, code: 'MailboxNotFound', message: 'no such mailbox in the tenant' },
        ],
        workloads: { 'incoming-email': 'failed', 'outgoing-email': 'not-configured', act: 'not-configured' },
      };
    });
  const app = await buildConsole({
    prisma,
    queues,
    secretBox,
    logger: createLogger({ name: 'console-test', level: 'debug', destination: logs }),
    adminToken: ADMIN_TOKEN,
    testAndEnable,
    // An empty tenant unless the test brings one (a simulator through the engine).
    listTenantUsers:
      overrides.listTenantUsers ??
      async function* () {
        /* no users */
      },
    tenantGroups: overrides.tenantGroups,
    clock: overrides.clock,
    graphAllowedHosts: overrides.graphAllowedHosts,
    // Tests send many bad tokens from one address; the limit itself is tested in security.test.ts.
    security: { authFailureLimit: { max: 10_000, windowMs: 60_000 }, ...overrides.security },
  });
  overrides.beforeReady?.(app);
  await app.ready();
  return {
    app,
    db,
    redis,
    queues,
    secretBox,
    logs,
    testAndEnableCalls,
    async close() {
      await app.close();
      await closeQueues(queues);
      connection.disconnect();
      await redis.cleanup();
      await db.drop();
    },
  };
}

export const profileInput = (overrides: Record<string, unknown> = {}) => ({
  name: 'EMEA',
  tenantId: '11111111-2222-3333-4444-555555555555',
  clientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  clientSecret: 'not-the-real-secret',
  ...overrides,
});

export const mailboxInput = (profileId: string, overrides: Record<string, unknown> = {}) => ({
  address: 'Alice@Contoso.com',
  displayName: 'Alice',
  owner: { type: 'User', id: 'user-alice' },
  profileId,
  workloads: { 'incoming-email': { method: 'ServerSideSync' }, act: { method: 'ServerSideSync' } },
  ...overrides,
});

/** POST/PATCH/GET helper returning status and parsed JSON. */
export async function call(app: FastifyInstance, method: string, url: string, payload?: unknown) {
  const response = await app.inject({
    method: method as 'GET',
    url,
    // A string payload is sent as (possibly malformed) JSON text.
    headers: typeof payload === 'string' ? { ...AUTH, 'content-type': 'application/json' } : AUTH,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  const json = response.headers['content-type']?.toString().startsWith('application/json')
    ? (response.json() as Json)
    : undefined;
  return { status: response.statusCode, json: json ?? {}, body: response.body, headers: response.headers };
}
