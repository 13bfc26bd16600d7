import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@microsoft/microsoft-graph-client';
import { createGraphClient, createMsalApp, msalAuthProvider } from '../graph-client';
import { startSimulator } from '../index';
import type { RunningSimulator, SimConfig } from '../index';

export interface Harness {
  sim: RunningSimulator;
  dataDir: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  mailboxes: Array<{ id: string; address: string; userPrincipalName: string }>;
  graph: Client;
  close(): Promise<void>;
}

/**
 * Per-test-file simulator: its own data dir (CA), tenant, app (granted the default roles) and
 * mailboxes (UPN ≠ address); official clients over verified TLS.
 */
export async function startHarness(
  options: { mailboxes?: number; config?: Partial<SimConfig> } = {},
): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-sim-test-'));
  const sim = await startSimulator({ dataDir, config: options.config, idSeed: 'test' });
  const { tenantId } = await sim.admin.createTenant();
  const { clientId, clientSecret } = await sim.admin.createApp(tenantId);
  const { mailboxes } = await sim.admin.createMailboxes(tenantId, {
    count: options.mailboxes ?? 3,
    addressPattern: 'user{n}@contoso.test',
  });
  const msal = createMsalApp({ simUrl: sim.url, tenantId, clientId, clientSecret, caPem: sim.caPem });
  const graph = createGraphClient({
    simUrl: sim.url,
    caPem: sim.caPem,
    authProvider: msalAuthProvider(msal),
  });
  return {
    sim,
    dataDir,
    tenantId,
    clientId,
    clientSecret,
    mailboxes,
    graph,
    close: async () => {
      await sim.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function mailbox(h: Harness, index: number): Harness['mailboxes'][number] {
  const mb = h.mailboxes[index];
  if (!mb) throw new Error(`no mailbox ${index}`);
  return mb;
}
