import { readdirSync } from 'node:fs';
import path from 'node:path';
import { exists, isEntryFile, read, ROOT } from './support';

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions, continuation lines joined and comments dropped, with their stage index. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  let stage = -1;
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    if (keyword.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword.toUpperCase(), args: rest.join(' '), stage };
  });
}

const text = read('Dockerfile');
const instructions = parseDockerfile(text);
const lastStage = Math.max(...instructions.map((i) => i.stage));
const inLastStage = instructions.filter((i) => i.stage === lastStage);

describe('Dockerfile', () => {
  it('builds from node:20 pinned to a full version tag in every stage', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2); // multi-stage
    for (const from of froms) expect(from.args).toMatch(/^node:20\.\d+\.\d+-[\w.-]+(\s+AS\s+\w+)?$/i);
  });

  it('installs with npm ci from the lockfile, with the dev dependencies the build needs', () => {
    const ci = instructions.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(ci).toBeDefined();
    expect(ci!.args).not.toMatch(/--omit[= ]dev|--production/);
    // NODE_ENV=production before `npm ci` would silently drop the dev dependencies.
    const envBefore = instructions.filter(
      (i) =>
        i.stage === ci!.stage && i.keyword === 'ENV' && instructions.indexOf(i) < instructions.indexOf(ci!),
    );
    for (const env of envBefore) expect(env.args).not.toMatch(/NODE_ENV/);
    const copied = instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copied.some((c) => /package-lock\.json/.test(c))).toBe(true);
  });

  it('copies every workspace manifest before npm ci (the list must follow apps/* and packages/*)', () => {
    const copies = instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const dir of ['apps', 'packages']) {
      for (const name of readdirSync(path.join(ROOT, dir))) {
        if (!exists(`${dir}/${name}/package.json`)) continue;
        expect(copies).toContain(`${dir}/${name}/package.json ${dir}/${name}/`);
      }
    }
    // The root postinstall runs prisma generate: its script, config and schema must be there.
    for (const needed of ['scripts/prisma-generate.cjs', 'prisma.config.ts', 'prisma'])
      expect(copies.some((c) => c.split(/\s+/).includes(needed))).toBe(true);
  });

  it('runs as the non-root node user with NODE_ENV=production in the final stage', () => {
    const users = inLastStage.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.at(-1)).toBe('node');
    expect(inLastStage.some((i) => i.keyword === 'ENV' && /NODE_ENV=production/.test(i.args))).toBe(true);
  });

  it('chooses the role by command: exec-form `node` + a compiled entry file whose source exists', () => {
    const entrypoint = inLastStage.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
    const cmd = inLastStage.filter((i) => i.keyword === 'CMD').at(-1);
    expect(JSON.parse(entrypoint!.args)).toEqual(['node']);
    const [entry] = JSON.parse(cmd!.args) as string[];
    expect(isEntryFile(entry)).toBe(true);
  });

  it('runs compiled JavaScript with production dependencies only: the build folder, nothing else', () => {
    const build = instructions.find(
      (i) => i.keyword === 'RUN' && /scripts\/build-production\.cjs/.test(i.args),
    );
    expect(build).toBeDefined();
    expect(build!.stage).toBeLessThan(lastStage);
    const [, out] = /build-production\.cjs\s+(\S+)/.exec(build!.args)!;
    const copies = inLastStage.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toEqual([`--from=build ${out} ./`]);
    expect(inLastStage.some((i) => i.keyword === 'RUN' && /\bnpm\b/.test(i.args))).toBe(false);
  });

  it('has a HEALTHCHECK on the operations port every role serves', () => {
    const check = inLastStage.filter((i) => i.keyword === 'HEALTHCHECK').at(-1);
    expect(check?.args).toMatch(/OPS_PORT/);
    expect(check?.args).toMatch(/\/healthz/);
    expect(inLastStage.some((i) => i.keyword === 'ENV' && /OPS_PORT=\d+/.test(i.args))).toBe(true);
  });

  it('bakes in no secret and never disables TLS verification', () => {
    expect(text).not.toMatch(/NODE_TLS_REJECT_UNAUTHORIZED/);
    for (const i of instructions.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG'))
      expect(i.args).not.toMatch(/SECRET|TOKEN|PASSWORD|DATABASE_URL|REDIS_URL/i);
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('keeps dependencies, generated code, VCS data, local state and key material out', () => {
    for (const required of ['**/node_modules', 'packages/db/src/generated', '.git', '.data', '*.pem', '.env'])
      expect(patterns).toContain(required);
  });

  it('keeps what the image needs in', () => {
    // The demo's PKI script (compose simulator-pki) and .env.example (documentation) are needed.
    for (const kept of ['k8s', 'apps', 'packages', 'prisma', 'scripts', '.env.example'])
      expect(patterns).not.toContain(kept);
  });
});
