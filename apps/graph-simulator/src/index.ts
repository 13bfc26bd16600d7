import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createAdminClient } from './admin/client';
import type { SimAdminClient } from './admin/client';
import type { SimConfig } from './config';
import { createHttpsServer } from './http/server';
import { applySeed, loadSeed } from './seed';
import type { SeedFile } from './seed';
import { createSimCore } from './sim';
import { loadOrCreatePki } from './tls/certs';

export { authorityMetadataFor } from './auth/entra';
export { issueServerCertificate, loadOrCreateCa } from './tls/certs';
export type { KeyAndCert } from './tls/certs';
export type { SimConfig } from './config';
export type { SeedFile } from './seed';
export { createAdminClient, type SimAdminClient } from './admin/client';
export type { Delivery } from './graph/deliveries';

export interface SimulatorOptions {
  /** 0 = ephemeral. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where the CA and server certificate live (reused across starts). */
  dataDir?: string;
  adminKey?: string;
  seed?: SeedFile | string;
  config?: Partial<SimConfig>;
  log?: (line: string) => void;
  /** Seeds the id generator when no seed file sets one (deterministic ids). */
  idSeed?: string;
  /** Start the traffic generator (messages/s). */
  trafficRate?: number;
}

export interface RunningSimulator {
  url: string;
  graphBaseUrl: string;
  caPath: string;
  caPem: string;
  adminKey: string;
  close(): Promise<void>;
  admin: SimAdminClient;
}

/** `<repo>/.data/graph-simulator`, or the OS temp dir when the repo is not writable (e.g. read-only image). */
export function defaultDataDir(): string {
  const repoRoot = path.resolve(__dirname, '../../..');
  try {
    fs.accessSync(repoRoot, fs.constants.W_OK);
    return path.join(repoRoot, '.data', 'graph-simulator');
  } catch {
    return path.join(os.tmpdir(), 'graph-simulator');
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const log = options.log ?? (() => undefined);
  const dataDir = options.dataDir ?? defaultDataDir();
  const pki = loadOrCreatePki(dataDir);
  const adminKey = options.adminKey ?? randomBytes(18).toString('base64url');
  const seed = options.seed ? loadSeed(options.seed) : undefined;
  const core = createSimCore({
    adminKey,
    caPem: pki.ca.certPem,
    config: options.config,
    idSeed: seed?.idSeed ?? options.idSeed,
    log,
  });
  if (seed) applySeed(core.store, seed);
  const server = createHttpsServer({ key: pki.server.keyPem, cert: pki.server.certPem }, core.dispatch, log);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (options.trafficRate) core.traffic.start(options.trafficRate, options.trafficRate / 5);
  const admin = createAdminClient({ url, adminKey, caPem: pki.ca.certPem });
  return {
    url,
    graphBaseUrl: `${url}/v1.0`,
    caPath: pki.caPath,
    caPem: pki.ca.certPem,
    adminKey,
    admin,
    close: async () => {
      core.close();
      admin.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
