import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProcess, stopAll } from '@syncfleet/testing/processes';
import { createAdminClient } from '../src/admin/client';
import { createTrustingAgent, httpsCall } from '../src/client-tls';

/**
 * Starts the simulator as a child process (its own core), then measures with keep-alive https
 * agents: simple GETs/s, delta pages/s, and memory with 100,000 idle mailboxes.
 */
async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-sim-bench-'));
  const sim = startProcess('simulator', 'apps/graph-simulator/src/main.ts', {
    env: { ...process.env, SIM_PORT: '0', SIM_SEED: '', SIM_DATA_DIR: dataDir, SIM_ADMIN_KEY: 'bench-key' },
  });
  const [, readyJson] = await sim.waitForLine(/^SIM_READY (.*)$/, 60_000);
  const ready = JSON.parse(readyJson!) as { url: string; caPath: string };
  const caPem = fs.readFileSync(ready.caPath, 'utf8');
  const admin = createAdminClient({ url: ready.url, adminKey: 'bench-key', caPem });
  try {
    await admin.patchConfig({ mailboxConcurrency: 10_000, mailboxRequestsPer10Min: 1e9 });
    const { tenantId } = await admin.createTenant();
    const { clientId } = await admin.createApp(tenantId);
    const { mailboxes } = await admin.createMailboxes(tenantId, {
      count: 64,
      addressPattern: 'bench{n}@contoso.test',
    });
    const token = (await admin.mintToken({ tenantId, clientId, expiresInSeconds: 3600 })).access_token;
    const agent = createTrustingAgent(caPem, { maxSockets: 16 });
    const headers = { authorization: `Bearer ${token}` };

    async function measure(name: string, seconds: number, next: (i: number) => string): Promise<void> {
      let count = 0;
      let errors = 0;
      const deadline = Date.now() + seconds * 1000;
      const worker = async (w: number) => {
        for (let i = w; Date.now() < deadline; i += 32) {
          const res = await httpsCall(agent, next(i), { method: 'GET', headers });
          if (res.status === 200) count++;
          else errors++;
        }
      };
      const start = Date.now();
      await Promise.all(Array.from({ length: 32 }, (_, w) => worker(w)));
      const rate = Math.round(count / ((Date.now() - start) / 1000));
      console.log(
        `${name}: ${rate} req/s (${count} ok, ${errors} errors, 32 in flight over 16 keep-alive sockets)`,
      );
    }

    const ids = mailboxes.map((m) => m.id);
    await measure(
      'GET /users/{id}/mailFolders/inbox',
      5,
      (i) => `${ready.url}/v1.0/users/${ids[i % ids.length]}/mailFolders/inbox`,
    );

    const target = mailboxes[0]?.address ?? '';
    for (let i = 0; i < 1000; i++)
      await admin.inbound(target, { from: 'x@fabrikam.test', subject: `m${i}`, body: 'hello' });
    const first = await httpsCall(
      agent,
      `${ready.url}/v1.0/users/${ids[0]}/mailFolders/inbox/messages/delta`,
      { method: 'GET', headers },
    );
    const body = JSON.parse(first.body.toString()) as { '@odata.nextLink': string };
    const base = body['@odata.nextLink'].replace(/\.\d+$/, '');
    await measure('GET delta page (10 messages)', 5, (i) => `${base}.${(i % 99) * 10}`);

    const before = await admin.status();
    const start = Date.now();
    for (let n = 0; n < 10; n++) {
      await admin.createMailboxes(tenantId, { count: 10_000, addressPattern: `idle${n}-{n}@contoso.test` });
    }
    const after = await admin.status();
    const mb = (v: number) => `${Math.round(v / 1024 / 1024)} MB`;
    console.log(
      `100,000 idle mailboxes created in ${Date.now() - start} ms: RSS ${mb(before.memory.rss)} → ${mb(after.memory.rss)}, heap used ${mb(before.memory.heapUsed)} → ${mb(after.memory.heapUsed)}`,
    );
    agent.destroy();
  } finally {
    admin.close();
    await stopAll([sim]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
