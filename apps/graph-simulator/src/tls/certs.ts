import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import forge from 'node-forge';

export interface KeyAndCert {
  certPem: string;
  keyPem: string;
}

export interface SimulatorPki {
  ca: KeyAndCert;
  server: KeyAndCert;
  caPath: string;
}

const DEFAULT_HOSTNAMES = ['127.0.0.1', 'localhost', '::1'];

// node:crypto generates RSA keys in native code (tens of ms); node-forge's pure-JS keygen takes seconds.
function newKeyPair(): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  keyPem: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return {
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    keyPem: privateKey,
  };
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + days * 24 * 60 * 60 * 1000);
}

export function createCertificateAuthority(commonName = 'Syncfleet Graph Simulator CA'): KeyAndCert {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, 3650);
  const attrs = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'Syncfleet' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** Issues a TLS server certificate for `hostnames` (DNS names or IP literals), signed by `ca`. */
export function issueCertificateFromCa(ca: KeyAndCert, hostnames: string[] = DEFAULT_HOSTNAMES): KeyAndCert {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, 365);
  cert.setSubject([{ name: 'commonName', value: hostnames[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: hostnames.map((h) => (net.isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

function readIfExists(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

function stillValid(certPem: string): boolean {
  try {
    const cert = forge.pki.certificateFromPem(certPem);
    return cert.validity.notAfter.getTime() > Date.now() + 24 * 60 * 60 * 1000;
  } catch {
    return false;
  }
}

/** Loads the CA from `dataDir`, creating it (and `ca.pem`) on first use. */
export function loadOrCreateCa(dataDir: string): KeyAndCert & { caPath: string } {
  fs.mkdirSync(dataDir, { recursive: true });
  const caPath = path.join(dataDir, 'ca.pem');
  const caKeyPath = path.join(dataDir, 'ca-key.pem');
  const certPem = readIfExists(caPath);
  const keyPem = readIfExists(caKeyPath);
  if (certPem && keyPem && stillValid(certPem)) return { certPem, keyPem, caPath };
  const ca = createCertificateAuthority();
  fs.writeFileSync(caKeyPath, ca.keyPem, { mode: 0o600 });
  fs.writeFileSync(caPath, ca.certPem);
  return { ...ca, caPath };
}

/** CA + server certificate for loopback, reused across starts when present and valid. */
export function loadOrCreatePki(dataDir: string): SimulatorPki {
  const ca = loadOrCreateCa(dataDir);
  const serverCertPath = path.join(dataDir, 'server.pem');
  const serverKeyPath = path.join(dataDir, 'server-key.pem');
  const certPem = readIfExists(serverCertPath);
  const keyPem = readIfExists(serverKeyPath);
  if (certPem && keyPem && stillValid(certPem) && issuedBy(certPem, ca.certPem)) {
    return { ca, server: { certPem, keyPem }, caPath: ca.caPath };
  }
  const server = issueCertificateFromCa(ca);
  fs.writeFileSync(serverKeyPath, server.keyPem, { mode: 0o600 });
  fs.writeFileSync(serverCertPath, server.certPem);
  return { ca, server, caPath: ca.caPath };
}

function issuedBy(certPem: string, caPem: string): boolean {
  try {
    return forge.pki.certificateFromPem(caPem).verify(forge.pki.certificateFromPem(certPem));
  } catch {
    return false;
  }
}

/**
 * Issues a server certificate signed by the simulator's CA — e.g. for an https webhook receiver in a
 * test, so that the simulator's notification client (which trusts its own CA) can verify it.
 */
export function issueServerCertificate(dataDirOrCa: string | KeyAndCert, hostnames?: string[]): KeyAndCert {
  const ca = typeof dataDirOrCa === 'string' ? loadOrCreateCa(dataDirOrCa) : dataDirOrCa;
  return issueCertificateFromCa(ca, hostnames ?? DEFAULT_HOSTNAMES);
}
