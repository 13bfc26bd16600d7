import net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that counts what clients send: statements executed (an
 * extended-protocol Execute or a simple Query each) and transactions opened (BEGIN). Clients
 * connect to `url` instead of the server; both directions are forwarded unchanged.
 */
export async function startStatementCounter(target: { host: string; port: number }) {
  const counts = { statements: 0, begins: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let buffer = Buffer.alloc(0);
    let startedUp = false;
    client.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!startedUp) {
          // StartupMessage (and SSLRequest): int32 length, no type byte.
          if (buffer.length < 4) break;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) break;
          const code = buffer.readInt32BE(4);
          if (code !== 80877103) startedUp = true; // not an SSLRequest
          buffer = buffer.subarray(length);
          continue;
        }
        if (buffer.length < 5) break;
        const type = String.fromCharCode(buffer[0]!);
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) break;
        if (type === 'E') counts.statements += 1;
        if (type === 'Q') {
          counts.statements += 1;
          if (/^\s*BEGIN/i.test(buffer.subarray(5, 1 + length).toString('utf8'))) counts.begins += 1;
        }
        if (type === 'P') {
          // Parse: name\0 query\0 ... — a BEGIN sent through the extended protocol.
          const body = buffer.subarray(5, 1 + length);
          const query = body.subarray(body.indexOf(0) + 1).toString('utf8');
          if (/^\s*BEGIN/i.test(query)) counts.begins += 1;
        }
        buffer = buffer.subarray(1 + length);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    counts,
    reset() {
      counts.statements = 0;
      counts.begins = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
