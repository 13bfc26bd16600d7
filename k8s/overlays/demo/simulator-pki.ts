// Demo only: the Graph simulator's TLS material for a deployment where the fleet reaches it by a
// service name. The simulator's own certificate covers loopback only, and a Kubernetes pod or a
// compose container cannot read another pod's files, so the CA and a server certificate naming the
// service are made here, once, and handed out: the whole set to the simulator (its SIM_DATA_DIR,
// which it reuses as long as the certificate is valid and signed by the CA), ca.pem alone to the
// workers and the console (GRAPH_CA_FILE). Verification stays on everywhere.
//
//   node --import tsx k8s/overlays/demo/simulator-pki.ts <pkiDir> [--ca-out <dir>] <hostname>...
import fs from 'node:fs';
import path from 'node:path';
import { issueServerCertificate, loadOrCreateCa } from '@syncfleet/graph-simulator';

function main(argv: string[]): void {
  const args = [...argv];
  let caOut: string | undefined;
  const at = args.indexOf('--ca-out');
  if (at >= 0) {
    caOut = args[at + 1];
    args.splice(at, 2);
  }
  const [pkiDir, ...hostnames] = args;
  if (!pkiDir || hostnames.length === 0 || (at >= 0 && !caOut)) {
    console.error('usage: simulator-pki.ts <pkiDir> [--ca-out <dir>] <hostname>...');
    process.exit(2);
  }
  // Reuses an existing, still valid CA, so re-running does not invalidate what clients trust.
  const ca = loadOrCreateCa(pkiDir);
  const server = issueServerCertificate(ca, hostnames);
  fs.writeFileSync(path.join(pkiDir, 'server-key.pem'), server.keyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(pkiDir, 'server.pem'), server.certPem);
  if (caOut) {
    fs.mkdirSync(caOut, { recursive: true });
    fs.writeFileSync(path.join(caOut, 'ca.pem'), ca.certPem);
  }
  console.log(
    `simulator PKI in ${pkiDir} for ${hostnames.join(', ')}${caOut ? `; CA copied to ${caOut}` : ''}`,
  );
}

main(process.argv.slice(2));
