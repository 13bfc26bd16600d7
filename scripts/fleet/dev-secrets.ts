import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSecretKey } from '@syncfleet/config';

export interface DevSecrets {
  SECRET_KEYS: string;
  ADMIN_TOKEN: string;
}

/**
 * For `npm start` on a developer machine only: an encryption key and an admin token kept in
 * .data/dev-secrets.json (mode 0600, git-ignored) so restarts can read what they stored. Values set
 * in the environment win. Production sets both explicitly (the apps refuse to start without them).
 */
export function loadDevSecrets(dataDir: string, env: NodeJS.ProcessEnv): DevSecrets {
  const file = path.join(dataDir, 'dev-secrets.json');
  let stored: Partial<DevSecrets> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>;
  const secrets: DevSecrets = {
    SECRET_KEYS: env.SECRET_KEYS || stored.SECRET_KEYS || generateSecretKey('dev1'),
    ADMIN_TOKEN: env.ADMIN_TOKEN || stored.ADMIN_TOKEN || randomBytes(32).toString('hex'),
  };
  if (secrets.SECRET_KEYS !== stored.SECRET_KEYS || secrets.ADMIN_TOKEN !== stored.ADMIN_TOKEN) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return secrets;
}
