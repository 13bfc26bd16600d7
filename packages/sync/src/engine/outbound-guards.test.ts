import path from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { issueServerCertificate } from '@syncfleet/graph-simulator';
import { createLogger } from '@syncfleet/telemetry';
import { useEngineHarness } from '../testing/engine-harness';
import { FAST_SETTINGS } from '../testing/engine-resources';
import { createEngineResources } from './resources';
import { testAndEnable } from './test-and-enable';
import type { EngineResources } from './types';

/**
 * Outbound requests of the engine: a profile's secret goes only to allowed endpoints, and a token
 * endpoint that accepts TLS and then never answers cannot hold a Test & Enable or a cycle past the
 * profile's timeout or the cycle's cancellation.
 */
const h = useEngineHarness('outbound-guards', { mailboxes: 2 });

/** A TLS server (trusted through the simulator's CA) that accepts connections and never answers. */
class SilentServer {
  readonly sockets: TLSSocket[] = [];
  connections = 0;
  private server!: Server;
  async start(caDir: string) {
    const { certPem, keyPem } = issueServerCertificate(caDir, ['127.0.0.1']);
    this.server = createServer({ cert: certPem, key: keyPem }, (socket) => {
      this.connections++;
      this.sockets.push(socket);
      socket.on('error', () => {});
    });
    this.server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  get host() {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close() {
    for (const s of this.sockets) s.destroy();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let silent: SilentServer;
let foreign: SilentServer;
let res: EngineResources;

beforeAll(async () => {
  const caDir = path.dirname(h.fx.sim.caPath);
  [silent, foreign] = await Promise.all([new SilentServer().start(caDir), new SilentServer().start(caDir)]);
  // Allowed: the simulator and the silent server; not allowed: the "foreign" one.
  res = createEngineResources({
    prisma: h.db.prisma,
    redis: h.redis.redis,
    secretBox: h.fx.secretBox,
    logger: createLogger({ name: 'test', level: 'silent' }),
    queuePrefix: h.redis.prefix,
    settings: FAST_SETTINGS,
    host: 'test-host',
    caFile: h.fx.sim.caPath,
    graphAllowedHosts: [new URL(h.fx.sim.url).host, silent.host],
  });
});
afterAll(async () => {
  await Promise.all([silent?.close(), foreign?.close()]);
});

async function pointProfileAt(authorityHost: string, connectionTimeoutSec: number) {
  await h.db.prisma.emailServerProfile.update({
    where: { id: h.fx.profileId },
    data: { authorityUrl: `https://${authorityHost}`, connectionTimeoutSec },
  });
}

describe('outbound guards', () => {
  it('never sends the secret to a host that is not allowed, even when the row was changed in the database', async () => {
    await pointProfileAt(foreign.host, 5);
    const result = await testAndEnable(res, h.fx.mailboxes[0]!.id);
    expect(result.ok).toBe(false);
    expect(result.checks).toContainEqual(
      expect.objectContaining({ name: 'credentials', ok: false, code: 'EndpointNotAllowed' }),
    );
    expect(foreign.connections).toBe(0);
  });

  it('a token endpoint that never answers fails Test & Enable within the profile timeout', async () => {
    await pointProfileAt(silent.host, 1);
    const started = Date.now();
    const result = await testAndEnable(res, h.fx.mailboxes[0]!.id);
    const elapsed = Date.now() - started;
    expect(silent.connections).toBeGreaterThan(0);
    expect(result.ok).toBe(false);
    expect(result.checks).toContainEqual(expect.objectContaining({ name: 'credentials', ok: false }));
    // 1 s timeout; margin for a loaded machine, far below the 300 s it took without one.
    expect(elapsed).toBeLessThan(5_000);
  });

  it("a cycle's signal cancels a hanging token request long before the profile timeout", async () => {
    await pointProfileAt(silent.host, 120);
    const profile = await h.db.prisma.emailServerProfile.findUniqueOrThrow({ where: { id: h.fx.profileId } });
    const mailbox = h.fx.mailboxes[1]!;
    const controller = new AbortController();
    const started = Date.now();
    const attempt = res.graph.forMailbox(
      profile,
      { id: mailbox.id, address: mailbox.address },
      controller.signal,
    );
    setTimeout(() => controller.abort(new Error('cycle budget spent')), 300);
    await expect(attempt).rejects.toBeDefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
