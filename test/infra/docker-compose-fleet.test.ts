import { parse } from 'yaml';
import { documentedVariables, isEntryFile, isKnownVariable, read } from './support';

interface Service {
  build?: string | { context: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
  restart?: string;
  read_only?: boolean;
  tmpfs?: string[];
  stop_grace_period?: string;
  deploy?: { replicas?: number };
}

// Compose resolves `<<` merge keys (YAML 1.1); so must we.
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const apps = Object.entries(services).filter(([, s]) => s.build !== undefined);
const documented = documentedVariables();

/** "45s", "1m30s", "500ms" → milliseconds. */
function durationMs(value: string): number {
  let total = 0;
  for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

describe('docker-compose.yml: the fleet', () => {
  it('has every role as an app service', () => {
    expect(apps.map(([name]) => name).sort()).toEqual(
      ['console', 'migrate', 'scheduler', 'simulator', 'simulator-pki', 'webhooks', 'worker'].sort(),
    );
  });

  it('builds every app service from the same context into the same image, role by command', () => {
    const images = new Set(apps.map(([, s]) => s.image));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/:[\w.-]+$/);
    for (const [name, s] of apps) {
      const context = typeof s.build === 'string' ? s.build : s.build?.context;
      expect({ name, context }).toEqual({ name, context: '.' });
      expect(isEntryFile(s.command?.[0])).toBe(true);
    }
    const entries = apps.map(([, s]) => s.command![0]);
    expect(new Set(entries).size).toBe(entries.length);
    expect(services.migrate!.command).toEqual(['packages/db/src/cli/migrate.js']);
  });

  it('orders start-up with depends_on conditions that can be met', () => {
    for (const [name, s] of apps) {
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = services[dependency];
        expect({ name, dependency, exists: target !== undefined }).toEqual({
          name,
          dependency,
          exists: true,
        });
        if (condition === 'service_healthy') expect(target!.healthcheck?.test.length).toBeGreaterThan(0);
        else if (condition === 'service_completed_successfully') expect(target!.restart).toBe('no');
        else throw new Error(`${name} → ${dependency}: condition ${condition} orders nothing`);
      }
    }
    expect(services.migrate!.depends_on?.postgres?.condition).toBe('service_healthy');
    for (const name of ['scheduler', 'worker', 'console']) {
      const deps = services[name]!.depends_on ?? {};
      expect(deps.migrate?.condition).toBe('service_completed_successfully');
      expect(deps.redis?.condition).toBe('service_healthy');
      expect(deps.postgres?.condition).toBe('service_healthy');
    }
  });

  // Interpolated from the environment/.env, never literal. Not `${VAR:?}`: Compose checks the whole
  // file before starting anything, which would break `docker compose up -d redis postgres`; the apps
  // themselves refuse to start without them, naming the variable.
  it('takes the secrets from the environment and never holds a literal one', () => {
    const required = { worker: ['SECRET_KEYS'], console: ['SECRET_KEYS', 'ADMIN_TOKEN'] } as const;
    for (const [name, vars] of Object.entries(required))
      for (const v of vars) expect(String(services[name]!.environment?.[v])).toBe(`\${${v}:-}`);
    for (const [, s] of apps)
      for (const v of ['SECRET_KEYS', 'ADMIN_TOKEN']) {
        const value = s.environment?.[v];
        if (value !== undefined) expect(String(value)).toBe(`\${${v}:-}`);
      }
  });

  it('sets only variables the apps know', () => {
    for (const [name, s] of apps)
      for (const v of Object.keys(s.environment ?? {}))
        expect({ name, v, known: isKnownVariable(v, documented) }).toEqual({ name, v, known: true });
  });

  it('publishes ports on loopback only; the console listens on all interfaces inside', () => {
    for (const [, s] of Object.entries(services))
      for (const port of s.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    const consoleService = services.console!;
    expect(consoleService.environment?.CONSOLE_HOST).toBe('0.0.0.0');
    expect(consoleService.ports).toContain(
      `127.0.0.1:${consoleService.environment?.CONSOLE_PORT}:${consoleService.environment?.CONSOLE_PORT}`,
    );
  });

  it('health-checks the services others wait for: console /readyz, simulator', () => {
    expect(services.console!.healthcheck?.test.join(' ')).toMatch(/\/readyz/);
    expect(services.simulator!.healthcheck?.test.length).toBeGreaterThan(0);
  });

  it('gives the workers time to drain: stop_grace_period > SHUTDOWN_GRACE_MS; 2+ replicas', () => {
    const worker = services.worker!;
    const graceMs = Number(worker.environment?.SHUTDOWN_GRACE_MS);
    expect(graceMs).toBeGreaterThan(0);
    expect(durationMs(worker.stop_grace_period ?? '10s')).toBeGreaterThan(graceMs);
    expect(worker.deploy?.replicas).toBeGreaterThanOrEqual(2);
  });

  it('runs app containers read-only with a tmpfs /tmp', () => {
    for (const [, s] of apps) {
      expect(s.read_only).toBe(true);
      expect(s.tmpfs).toContain('/tmp');
    }
  });

  it('trusts the simulator through GRAPH_CA_FILE on a volume simulator-pki writes', () => {
    const pkiArgs = services['simulator-pki']!.command!;
    const caOut = pkiArgs[pkiArgs.indexOf('--ca-out') + 1]!;
    expect(pkiArgs).toContain('simulator'); // the certificate names the service
    for (const name of ['worker', 'console']) {
      const s = services[name]!;
      expect(s.environment?.GRAPH_CA_FILE).toBe(`${caOut}/ca.pem`);
      const mount = (s.volumes ?? []).find((v) => v.split(':')[1] === caOut);
      expect(mount).toMatch(/:ro$/);
      expect(Object.keys(compose.volumes ?? {})).toContain(mount!.split(':')[0]);
    }
    expect(services.simulator!.environment?.SIM_DATA_DIR).toBe(pkiArgs[1]);
  });

  it('never disables TLS verification', () => {
    expect(read('docker-compose.yml')).not.toMatch(/NODE_TLS_REJECT_UNAUTHORIZED/);
  });
});
