import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

interface Service {
  image?: string;
  command?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  ports?: string[];
}

const compose = parse(readFileSync(path.resolve(__dirname, '../../docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  it('runs Redis the way BullMQ needs it: noeviction and append-only persistence', () => {
    const command = compose.services.redis?.command?.join(' ') ?? '';
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(command).toMatch(/--appendonly yes/);
  });

  it('gives every stateful service a healthcheck and a declared named volume', () => {
    for (const name of ['redis', 'postgres']) {
      const service = compose.services[name]!;
      expect(service.healthcheck?.test.length).toBeGreaterThan(0);
      const named = (service.volumes ?? []).map((v) => v.split(':')[0]!);
      expect(named.length).toBeGreaterThan(0);
      for (const volume of named) expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    }
  });

  it('binds infrastructure ports to loopback only and pins image tags', () => {
    for (const service of Object.values(compose.services)) {
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
      if (service.image) expect(service.image).toMatch(/:[\w.-]+$/);
    }
  });
});
