// Shared by the infra tests: repository paths and the variable names .env.example documents.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

export const exists = (file: string): boolean => existsSync(path.join(ROOT, file));

/** Variables carrying credentials: never a literal value, never in a ConfigMap. */
export const SECRET_VARS = ['DATABASE_URL', 'REDIS_URL', 'SECRET_KEYS', 'ADMIN_TOKEN'] as const;

/** Every variable .env.example names, set or commented out (`# NAME=...`). */
export function documentedVariables(): Set<string> {
  const names = new Set<string>();
  for (const line of read('.env.example').split('\n')) {
    const match = /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (match) names.add(match[1]!);
  }
  return names;
}

/** The simulator reads its own SIM_* variables (apps/graph-simulator/src/main.ts). */
export const isKnownVariable = (name: string, documented: Set<string>): boolean =>
  documented.has(name) || name.startsWith('SIM_');

/**
 * The entry file a role runs: the image's entrypoint is `node`, the image holds the compiled
 * JavaScript in the repository's layout (scripts/build-production.cjs), so `x.js` is `x.ts` compiled.
 */
export const isEntryFile = (arg: string | undefined): arg is string =>
  typeof arg === 'string' && /\.js$/.test(arg) && !arg.startsWith('/') && exists(arg.replace(/\.js$/, '.ts'));
