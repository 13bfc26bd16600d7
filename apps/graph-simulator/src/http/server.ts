import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimRequest, SimResponse } from './types';

const EMPTY_QUERY = new URLSearchParams();

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return { __invalidJson: true };
    }
  }
  return text;
}

function toSimRequest(req: IncomingMessage, raw: Buffer, baseUrl: string): SimRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const headers = req.headers as Record<string, string | undefined>;
  return {
    method: req.method ?? 'GET',
    path: q >= 0 ? url.slice(0, q) : url,
    query: q >= 0 ? new URLSearchParams(url.slice(q + 1)) : EMPTY_QUERY,
    headers,
    body: parseBody(raw, headers['content-type']),
    bodyBytes: raw.length,
    baseUrl,
  };
}

export function writeResponse(res: ServerResponse, out: SimResponse): void {
  if (out.drop) {
    res.socket?.destroy();
    return;
  }
  const headers: Record<string, string> = { ...out.headers };
  let payload: string | undefined;
  if (out.text !== undefined) {
    payload = out.text;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (out.body !== undefined) {
    payload = JSON.stringify(out.body);
    if (out.malformed) payload = payload.slice(0, Math.max(1, Math.floor(payload.length / 2)));
    headers['content-type'] ??=
      'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  else if (out.status !== 204 && out.status !== 304) headers['content-length'] = '0';
  res.writeHead(out.status, headers);
  res.end(payload);
}

/** Plain node:https server: a lean hot path (no framework) for the ≥ 5,000 req/s target. */
export function createHttpsServer(
  tlsOptions: { key: string; cert: string },
  dispatch: (req: SimRequest) => Promise<SimResponse>,
  log: (line: string) => void,
): https.Server {
  const server = https.createServer(
    { ...tlsOptions, keepAlive: true, keepAliveTimeout: 60_000 },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const host = req.headers.host ?? 'localhost';
        const simReq = toSimRequest(
          req,
          chunks.length ? Buffer.concat(chunks) : Buffer.alloc(0),
          `https://${host}`,
        );
        dispatch(simReq).then(
          (out) => writeResponse(res, out),
          (error: unknown) => {
            log(`http: ${simReq.method} ${simReq.path} crashed: ${(error as Error).stack ?? String(error)}`);
            writeResponse(res, {
              status: 500,
              body: { error: { code: 'InternalServerError', message: 'crash' } },
            });
          },
        );
      });
    },
  );
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  return server;
}
