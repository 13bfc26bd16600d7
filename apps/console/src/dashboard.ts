import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const UI_DIR = path.resolve(__dirname, '../ui');

interface Bundle {
  html: string;
  js: string;
  css: string;
}

let bundle: Promise<Bundle> | undefined;

/**
 * The dashboard's files, built from ui/src with esbuild when the console starts (about a second;
 * once per process). Nothing built is committed: `npm ci && npm start` on a fresh clone serves the
 * current source. The production image carries the bundle prebuilt (`ui/app.js`, written by
 * scripts/build-production.cjs with these same options) and no esbuild binary.
 */
export function dashboardBundle(): Promise<Bundle> {
  bundle ??= (async () => {
    const prebuilt = path.join(UI_DIR, 'app.js');
    const js = existsSync(prebuilt) ? await readFile(prebuilt, 'utf8') : await buildScript();
    const [html, css] = await Promise.all([
      readFile(path.join(UI_DIR, 'index.html'), 'utf8'),
      readFile(path.join(UI_DIR, 'src/app.css'), 'utf8'),
    ]);
    return { html, js, css };
  })();
  return bundle;
}

/** The esbuild options of the dashboard's script (scripts/build-production.cjs repeats them). */
async function buildScript(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(UI_DIR, 'src/main.tsx')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: 'out',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
}

/**
 * GET / and /ui/*: the dashboard's shell, script and styles. They hold no data and no secret, so
 * they are public like a login page; every piece of data the page shows comes from /api with the
 * admin token the user typed (sent as a Bearer header, kept in sessionStorage for the tab).
 * Scripts come from 'self' only (CSP script-src 'self': no inline script anywhere).
 */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  // Built in the background: the console listens at once, the first page view waits for it. A build
  // error (a broken ui/ source) then answers that view with a 500 and is logged, nothing else stops.
  dashboardBundle().catch((error: unknown) => app.log.error({ err: error }, 'dashboard build failed'));
  const send =
    (type: string, pick: (b: Bundle) => string) => async (_request: unknown, reply: FastifyReply) =>
      reply
        .type(type)
        .header('Cache-Control', 'no-cache')
        .send(pick(await dashboardBundle()));
  app.get(
    '/',
    send('text/html; charset=utf-8', (b) => b.html),
  );
  app.get(
    '/ui/app.js',
    send('text/javascript; charset=utf-8', (b) => b.js),
  );
  app.get(
    '/ui/app.css',
    send('text/css; charset=utf-8', (b) => b.css),
  );
}
