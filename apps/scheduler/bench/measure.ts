// Measuring instruments for the scheduler benchmarks: CPU time of processes, SQL statements on the
// wire, Redis memory. They read what the processes did from outside; nothing in the fleet helps.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { Redis } from 'ioredis';

const TICKS_PER_SECOND = 100; // Linux USER_HZ: /proc/<pid>/stat times are in 1/100 s

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU time of named groups of processes between `start()` and `stop()` (pids may change between). */
export function cpuMeter() {
  let before = new Map<number, number>();
  const read = (groups: Record<string, number[]>) => {
    const snapshot = new Map<number, number>();
    for (const pids of Object.values(groups)) for (const pid of pids) snapshot.set(pid, cpuMs(pid));
    return snapshot;
  };
  return {
    start(groups: Record<string, number[]>) {
      before = read(groups);
    },
    /** ms of CPU per group since start(). Processes that appeared since count from zero. */
    stop(groups: Record<string, number[]>): Record<string, number> {
      const after = read(groups);
      const out: Record<string, number> = {};
      for (const [group, pids] of Object.entries(groups)) {
        out[group] = pids.reduce((sum, pid) => sum + (after.get(pid) ?? 0) - (before.get(pid) ?? 0), 0);
      }
      return out;
    },
  };
}

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

/** Bytes Redis holds for every key under `prefix` (MEMORY USAGE, summed over a SCAN). */
export async function redisBytesUnder(
  redis: Redis,
  prefix: string,
): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    for (const [, value] of (await pipeline.exec()) ?? []) bytes += Number(value ?? 0);
    keys += batch.length;
  } while (cursor !== '0');
  return { keys, bytes };
}
