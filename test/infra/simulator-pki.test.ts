import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './support';

// The demo's TLS story (compose simulator-pki service, k8s demo overlay Secret): the script makes a
// CA and a server certificate naming the Service, and copies ca.pem alone for the clients.
const SCRIPT = 'k8s/overlays/demo/simulator-pki.ts';
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });

describe('k8s/overlays/demo/simulator-pki.ts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sf-sim-pki-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('issues a server certificate for the service names, signed by a CA it copies alone', () => {
    const pki = path.join(dir, 'pki');
    const caOut = path.join(dir, 'ca');
    const result = run([
      pki,
      '--ca-out',
      caOut,
      'graph-simulator',
      'graph-simulator.syncfleet.svc',
      '127.0.0.1',
    ]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const ca = new X509Certificate(readFileSync(path.join(caOut, 'ca.pem')));
    const server = new X509Certificate(readFileSync(path.join(pki, 'server.pem')));
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.checkHost('graph-simulator')).toBe('graph-simulator');
    expect(server.checkHost('graph-simulator.syncfleet.svc')).toBe('graph-simulator.syncfleet.svc');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('elsewhere.example')).toBeUndefined();
    expect(readFileSync(path.join(caOut, 'ca.pem'), 'utf8')).toBe(
      readFileSync(path.join(pki, 'ca.pem'), 'utf8'),
    );
  });

  it('keeps the CA when run again, so what clients already trust stays valid', () => {
    const pki = path.join(dir, 'again');
    expect(run([pki, 'simulator']).status).toBe(0);
    const first = readFileSync(path.join(pki, 'ca.pem'), 'utf8');
    expect(run([pki, 'simulator', 'localhost']).status).toBe(0);
    expect(readFileSync(path.join(pki, 'ca.pem'), 'utf8')).toBe(first);
  });

  it('refuses to run without a hostname', () => {
    const result = run([path.join(dir, 'none')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage/);
  });
});
