#!/usr/bin/env node
// The production build: `node scripts/build-production.cjs <out>` (default build/production).
//
// 1. Compiles every TypeScript source of the apps and packages (tests excluded) to CommonJS
//    JavaScript with esbuild, file by file, in the repository's own layout — so every path the code
//    resolves from __dirname (prisma/migrations, the simulator's seeds) holds in the output too. The
//    Prisma client must have been generated first (`npm ci` does it); it is compiled with the rest.
//    Type checking is `npm run typecheck`'s job, not this one's.
// 2. Copies what the code reads at run time (prisma/, the simulator's seeds, non-TypeScript files
//    under src/) and every package.json, with entry points renamed from .ts to .js.
// 3. Installs production dependencies only (`npm ci --omit=dev --ignore-scripts`, from the same
//    lockfile). `--reuse-node-modules` instead hard-links the checkout's node_modules and prunes
//    the dev dependencies (`npm prune --omit=dev`): same result, no download (the CI test uses it).
//
// The Dockerfile runs it in its build stage; the runtime stage copies <out> alone. Roles start with
// `node apps/<role>/src/main.js` (see docs/deployment.md).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const reuse = args.includes('--reuse-node-modules');
const out = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(root, 'build/production'));

/** Workspace folders, from the root package.json's workspaces globs (`apps/*`, `packages/*`). */
function workspaces() {
  const { workspaces: globs } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return globs.flatMap((glob) => {
    const parent = glob.replace(/\/\*$/, '');
    return fs
      .readdirSync(path.join(root, parent), { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, parent, d.name, 'package.json')))
      .map((d) => path.join(parent, d.name));
  });
}

function walk(dir, into = []) {
  if (!fs.existsSync(dir)) return into;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, into);
    else into.push(full);
  }
  return into;
}

const isTest = (file) => /\.test\.ts$/.test(file);

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true });
}

/** Entry points of a package.json: `./src/x.ts` → `./src/x.js`, wherever they appear. */
function renameEntries(value) {
  if (typeof value === 'string') return value.replace(/\.ts$/, '.js');
  if (Array.isArray(value)) return value.map(renameEntries);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameEntries(v)]));
  return value;
}

function run(command, commandArgs, cwd) {
  const result = spawnSync(command, commandArgs, { cwd, stdio: 'inherit', env: process.env });
  if (result.status !== 0) {
    console.error(`build-production: ${command} ${commandArgs.join(' ')} failed (${result.status})`);
    process.exit(result.status ?? 1);
  }
}

async function main() {
  const started = Date.now();
  if (!fs.existsSync(path.join(root, 'packages/db/src/generated/prisma/client.ts'))) {
    console.error(
      'build-production: the Prisma client is not generated: run `npm ci` (or npm run db:generate).',
    );
    process.exit(1);
  }
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const folders = workspaces();

  // 1. Compile.
  const sources = folders.flatMap((w) => walk(path.join(root, w, 'src'))).filter((f) => f.endsWith('.ts'));
  sources.push(path.join(root, 'k8s/overlays/demo/simulator-pki.ts')); // the demo's PKI step (compose)
  const { build } = require('esbuild');
  await build({
    entryPoints: sources.filter((f) => !isTest(f)),
    outdir: out,
    outbase: root,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    bundle: false,
    logLevel: 'warning',
  });

  // 2. What the code reads at run time, and the manifests.
  for (const w of folders) {
    for (const file of walk(path.join(root, w, 'src')).filter((f) => !f.endsWith('.ts')))
      copy(file, path.join(out, path.relative(root, file)));
    const manifest = JSON.parse(fs.readFileSync(path.join(root, w, 'package.json'), 'utf8'));
    for (const key of ['main', 'types', 'exports', 'bin'])
      if (key in manifest) manifest[key] = renameEntries(manifest[key]);
    delete manifest.scripts;
    fs.writeFileSync(path.join(out, w, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  copy(path.join(root, 'prisma'), path.join(out, 'prisma'));
  copy(path.join(root, 'apps/graph-simulator/seeds'), path.join(out, 'apps/graph-simulator/seeds'));
  // The dashboard, prebuilt: the console serves ui/app.js instead of bundling at start
  // (apps/console/src/dashboard.ts; the same esbuild options).
  fs.mkdirSync(path.join(out, 'apps/console/ui/src'), { recursive: true });
  for (const file of ['index.html', 'src/app.css'])
    fs.copyFileSync(path.join(root, 'apps/console/ui', file), path.join(out, 'apps/console/ui', file));
  require('esbuild').buildSync({
    entryPoints: [path.join(root, 'apps/console/ui/src/main.tsx')],
    bundle: true,
    outfile: path.join(out, 'apps/console/ui/app.js'),
    format: 'esm',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const rootManifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  // No scripts: the postinstall generates the Prisma client with the prisma CLI (a dev
  // dependency); the client is already compiled into the output.
  delete rootManifest.scripts;
  fs.writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(rootManifest, null, 2)}\n`);
  copy(path.join(root, 'package-lock.json'), path.join(out, 'package-lock.json'));
  if (fs.existsSync(path.join(root, '.npmrc'))) copy(path.join(root, '.npmrc'), path.join(out, '.npmrc'));

  // 3. Production dependencies only.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const quiet = ['--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];
  if (reuse) {
    // Hard links: instant, and pruning unlinks files without touching the checkout's copies.
    // Workspace links in node_modules are relative, so they point into <out>.
    run('cp', ['-al', path.join(root, 'node_modules'), path.join(out, 'node_modules')], root);
    for (const w of folders)
      if (fs.existsSync(path.join(root, w, 'node_modules')))
        run('cp', ['-al', path.join(root, w, 'node_modules'), path.join(out, w, 'node_modules')], root);
    run(npm, ['prune', '--omit=dev', '--omit=optional', '--omit=peer', ...quiet], out);
  } else {
    run(npm, ['ci', '--omit=dev', '--omit=optional', '--omit=peer', ...quiet], out);
  }
  console.log(`build-production: ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
