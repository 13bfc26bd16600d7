import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/** Runs `npm start`'s script; kills it if it is still running after 10 s (a hang is a failure). */
function start(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, ['scripts/start.ts'], { cwd: ROOT, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, killed });
    });
  });
}

/** A TCP server that accepts connections and never answers: the worst case for "never hang". */
async function silentServer(): Promise<{ port: number; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server, sockets };
}

describe('npm start without its services', () => {
  it('exits non-zero within 10 s naming the PostgreSQL URL and how to start it', async () => {
    const result = await start({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/syncfleet' });
    expect(result.killed).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /PostgreSQL is not reachable at postgresql:\/\/\*\*\*@127\.0\.0\.1:1\/syncfleet/,
    );
    expect(result.output).toMatch(/docker compose up -d postgres/);
  });

  it('exits non-zero within 10 s when Redis accepts connections but never answers', async () => {
    const silent = await silentServer();
    try {
      const result = await start({ REDIS_URL: `redis://127.0.0.1:${silent.port}` });
      expect(result.killed).toBe(false);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(
        new RegExp(`Redis is not reachable at redis://127\\.0\\.0\\.1:${silent.port}`),
      );
      expect(result.output).toMatch(/redis-server --daemonize yes/);
    } finally {
      silent.sockets.forEach((s) => s.destroy());
      silent.server.close();
    }
  });

  it('exits non-zero within 10 s when PostgreSQL accepts connections but never answers', async () => {
    const silent = await silentServer();
    try {
      const result = await start({
        DATABASE_URL: `postgresql://postgres@127.0.0.1:${silent.port}/syncfleet`,
      });
      expect(result.killed).toBe(false);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/PostgreSQL is not reachable/);
    } finally {
      silent.sockets.forEach((s) => s.destroy());
      silent.server.close();
    }
  });
});
