import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

export interface PostResult {
  status: number;
  contentType: string;
  body: string;
}

/** Keep-alive agents per trusted CA set: a busy receiver is not asked for a TLS handshake per POST. */
const agents = new Map<string, { https: https.Agent; http: http.Agent }>();
function agentsFor(ca: string[]) {
  const key = ca.join('\n');
  let entry = agents.get(key);
  if (!entry) {
    entry = {
      https: new https.Agent({ keepAlive: true, maxSockets: 64, ca: [...tls.rootCertificates, ...ca] }),
      http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    };
    agents.set(key, entry);
  }
  return entry;
}

/**
 * POSTs to a webhook receiver, verifying its TLS certificate against the public roots plus the
 * configured CAs (the simulator's own CA, so tests can run receivers with certificates it issued).
 */
export function postTo(
  url: string,
  body: string,
  options: { ca: string[]; timeoutMs: number; contentType: string },
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const lib = target.protocol === 'https:' ? https : http;
    const req = lib.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': options.contentType, 'content-length': Buffer.byteLength(body) },
        timeout: options.timeoutMs,
        agent: target.protocol === 'https:' ? agentsFor(options.ca).https : agentsFor(options.ca).http,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
