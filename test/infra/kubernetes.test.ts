import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { documentedVariables, isEntryFile, isKnownVariable, read, ROOT, SECRET_VARS } from './support';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are checked structurally. */
type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
};

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const haveKubectl = !kubectl.error;
if (!haveKubectl)
  console.warn('SKIPPED k8s manifest tests: `kubectl` is not installed (needed for `kubectl kustomize`).');
const describeK8s = haveKubectl ? describe : describe.skip;

function build(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((d) => d.toJS() as K8sObject);
}

const WORKLOAD_KINDS = ['Deployment', 'Job'];
const podSpec = (o: K8sObject): any => o.spec.template.spec;
const containersOf = (o: K8sObject): any[] => [
  ...(podSpec(o).initContainers ?? []),
  ...podSpec(o).containers,
];
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describeK8s.each(['k8s/base', 'k8s/overlays/demo'])('kubectl kustomize %s', (dir) => {
  const objects = haveKubectl ? build(dir) : [];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const find = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);
  const workloads = objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
  const configMap = byKind('ConfigMap').find((c) => c.metadata.name.startsWith('syncfleet-config'))!;
  const documented = documentedVariables();

  it('builds well-formed objects, all in the syncfleet namespace', () => {
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) {
      expect(typeof o.apiVersion).toBe('string');
      expect(typeof o.kind).toBe('string');
      expect(o.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('syncfleet');
    }
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('has the roles: scheduler, worker, console and webhook receiver (+ Services), the migration Job, worker PDB and autoscaler', () => {
    for (const name of ['syncfleet-scheduler', 'syncfleet-worker', 'syncfleet-console', 'syncfleet-webhooks'])
      expect(find('Deployment', name)).toBeDefined();
    expect(find('Service', 'syncfleet-console')).toBeDefined();
    expect(find('Service', 'syncfleet-webhooks')).toBeDefined();
    const job = find('Job', 'syncfleet-migrate')!;
    expect(containersOf(job).map((c) => c.args)).toEqual([['packages/db/src/cli/migrate.js']]);
    expect(find('PodDisruptionBudget', 'syncfleet-worker')).toBeDefined();
    expect(find('ScaledObject', 'syncfleet-worker')).toBeDefined(); // KEDA (test/infra/autoscaling.test.ts)
  });

  it('runs one image for every role, the role chosen by an entry file that exists', () => {
    const images = new Set(workloads.flatMap((o) => containersOf(o).map((c) => c.image)));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/:[\w.-]+$/);
    for (const o of workloads)
      for (const c of containersOf(o)) {
        expect(c.command).toBeUndefined(); // the image's entrypoint stays
        expect(isEntryFile(c.args?.[0])).toBe(true);
      }
  });

  it('migrates before any app container starts (initContainer) with the same command as the Job', () => {
    for (const d of byKind('Deployment').filter((o) => o.metadata.name.startsWith('syncfleet-')))
      expect(podSpec(d).initContainers?.map((c: any) => c.args)).toEqual([
        ['packages/db/src/cli/migrate.js'],
      ]);
  });

  it('sets resources, non-root and read-only security contexts on every container', () => {
    for (const o of workloads) {
      const pod = podSpec(o);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.securityContext.seccompProfile?.type).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken).toBe(false);
      const volumes = new Set((pod.volumes ?? []).map((v: any) => v.name));
      for (const c of containersOf(o)) {
        const where = `${o.metadata.name}/${c.name}`;
        expect({ where, requests: c.resources?.requests }).toEqual({
          where,
          requests: { cpu: expect.any(String), memory: expect.any(String) },
        });
        expect(c.resources?.limits?.memory).toBeDefined();
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        // tsx writes its transform cache to /tmp: a read-only root needs it mounted.
        expect(c.volumeMounts?.some((m: any) => m.mountPath === '/tmp')).toBe(true);
        for (const m of c.volumeMounts ?? []) expect(volumes.has(m.name)).toBe(true);
      }
    }
  });

  it('probes every role on its ops port (startup, liveness /healthz, readiness /readyz), as the ConfigMap says', () => {
    expect(configMap.data?.OPS_HOST).toBe('0.0.0.0');
    for (const name of ['syncfleet-scheduler', 'syncfleet-worker', 'syncfleet-console']) {
      const d = find('Deployment', name)!;
      const c = podSpec(d).containers[0];
      const ops = c.ports.find((p: any) => p.name === 'ops');
      expect({ name, port: ops?.containerPort }).toEqual({ name, port: Number(configMap.data?.OPS_PORT) });
      expect(d.spec.template.metadata.annotations?.['prometheus.io/port']).toBe(String(ops.containerPort));
      if (name === 'syncfleet-console') continue; // its API port carries its probes (below)
      expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
    }
  });

  it('probes the console: readiness /readyz, liveness /healthz, on a declared port', () => {
    const consoleDeployment = find('Deployment', 'syncfleet-console')!;
    const c = podSpec(consoleDeployment).containers[0];
    const ports = c.ports.map((p: any) => p.name);
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe].filter(Boolean))
      expect(ports).toContain(probe.httpGet?.port ?? probe.tcpSocket?.port);
    expect(configMap.data?.CONSOLE_HOST).toBe('0.0.0.0');
    expect(c.ports[0].containerPort).toBe(Number(configMap.data?.CONSOLE_PORT));
  });

  it('probes the webhook receiver: liveness /healthz on its declared port, which the config sets', () => {
    const c = podSpec(find('Deployment', 'syncfleet-webhooks')!).containers[0];
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.ports.map((p: any) => p.name)).toContain(c.livenessProbe.httpGet.port);
    expect(configMap.data?.WEBHOOK_HOST).toBe('0.0.0.0');
    expect(c.ports[0].containerPort).toBe(Number(configMap.data?.WEBHOOK_PORT));
  });

  it('gives workers more time than SHUTDOWN_GRACE_MS to drain, and leaves replicas to the autoscaler', () => {
    const worker = find('Deployment', 'syncfleet-worker')!;
    const graceMs = Number(configMap.data?.SHUTDOWN_GRACE_MS);
    expect(graceMs).toBeGreaterThan(0);
    expect(podSpec(worker).terminationGracePeriodSeconds * 1000).toBeGreaterThan(graceMs);
    expect(worker.spec.replicas).toBeUndefined();
    const scaled = find('ScaledObject', 'syncfleet-worker')!;
    expect(scaled.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'syncfleet-worker',
    });
    const scheduler = find('Deployment', 'syncfleet-scheduler')!;
    expect(scheduler.spec.replicas).toBeGreaterThanOrEqual(1);
    expect(scheduler.spec.replicas).toBeLessThanOrEqual(2);
  });

  it('takes settings from the ConfigMap and credentials from syncfleet-secrets only', () => {
    for (const v of SECRET_VARS) expect(configMap.data?.[v]).toBeUndefined();
    for (const key of Object.keys(configMap.data ?? {}))
      expect({ key, known: isKnownVariable(key, documented) }).toEqual({ key, known: true });
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]); // operators create it
    for (const o of workloads)
      for (const c of containersOf(o)) {
        for (const from of c.envFrom ?? []) expect(from.configMapRef?.name).toBe(configMap.metadata.name);
        for (const e of c.env ?? []) {
          expect(isKnownVariable(e.name, documented)).toBe(true);
          if ((SECRET_VARS as readonly string[]).includes(e.name)) {
            expect(e.value).toBeUndefined();
            expect(e.valueFrom.secretKeyRef).toEqual({ name: 'syncfleet-secrets', key: e.name });
          }
        }
      }
  });

  it('gives each role exactly the secrets it needs', () => {
    const secretsOf = (name: string) =>
      podSpec(find('Deployment', name)!)
        .containers[0].env.filter((e: any) => e.valueFrom?.secretKeyRef)
        .map((e: any) => e.name)
        .sort();
    expect(secretsOf('syncfleet-scheduler')).toEqual(['DATABASE_URL', 'REDIS_URL', 'SECRET_KEYS']);
    expect(secretsOf('syncfleet-webhooks')).toEqual(['DATABASE_URL', 'REDIS_URL', 'SECRET_KEYS']);
    expect(secretsOf('syncfleet-worker')).toEqual(['DATABASE_URL', 'REDIS_URL', 'SECRET_KEYS']);
    expect(secretsOf('syncfleet-console')).toEqual([
      'ADMIN_TOKEN',
      'DATABASE_URL',
      'REDIS_URL',
      'SECRET_KEYS',
    ]);
  });

  it('matches selectors to labels (Deployments, Services, PDB)', () => {
    for (const d of byKind('Deployment'))
      expect(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
    for (const selecting of [...byKind('Service'), ...byKind('PodDisruptionBudget')]) {
      const selector = selecting.spec.selector.matchLabels ?? selecting.spec.selector;
      const targets = byKind('Deployment').filter((d) => matches(selector, d.spec.template.metadata.labels));
      expect({ name: selecting.metadata.name, targets: targets.length }).toEqual({
        name: selecting.metadata.name,
        targets: 1,
      });
      if (selecting.kind === 'Service') {
        const container = podSpec(targets[0]!).containers[0];
        for (const port of selecting.spec.ports)
          expect(container.ports.map((p: any) => p.name)).toContain(port.targetPort);
      }
    }
  });

  it('never disables TLS verification', () => {
    for (const o of workloads)
      for (const c of containersOf(o))
        for (const e of c.env ?? []) expect(e.name).not.toBe('NODE_TLS_REJECT_UNAUTHORIZED');
  });
});

describeK8s('k8s/overlays/demo', () => {
  const objects = haveKubectl ? build('k8s/overlays/demo') : [];
  const find = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name)!;

  it('adds the simulator as one replica behind a Service, its PKI from the graph-simulator-pki Secret', () => {
    const sim = find('Deployment', 'graph-simulator');
    expect(sim.spec.replicas).toBe(1); // its state is in memory
    expect(sim.spec.strategy.type).toBe('Recreate');
    const c = podSpec(sim).containers[0];
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(env.SIM_HOST).toBe('0.0.0.0');
    const pki = podSpec(sim).volumes.find((v: any) => v.secret?.secretName === 'graph-simulator-pki');
    const mount = c.volumeMounts.find((m: any) => m.name === pki.name);
    expect(mount.mountPath).toBe(env.SIM_DATA_DIR);
    expect(find('Service', 'graph-simulator').spec.ports[0].port).toBe(Number(env.SIM_PORT));
  });

  it('makes the worker and the console trust the simulator CA via GRAPH_CA_FILE, mounting ca.pem only', () => {
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    const caFile = configMap.data!.GRAPH_CA_FILE!;
    for (const name of ['syncfleet-worker', 'syncfleet-console']) {
      const pod = podSpec(find('Deployment', name));
      const volume = pod.volumes.find((v: any) => v.secret?.secretName === 'graph-simulator-pki');
      expect(volume.secret.items).toEqual([{ key: 'ca.pem', path: 'ca.pem' }]);
      const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === volume.name);
      expect(`${mount.mountPath}/ca.pem`).toBe(caFile);
      expect(mount.readOnly).toBe(true);
    }
  });

  it('keeps the base untouched: no GRAPH_CA_FILE there', () => {
    const base = build('k8s/base').find((o) => o.kind === 'ConfigMap')!;
    expect(base.data?.GRAPH_CA_FILE).toBeUndefined();
  });
});

describe('k8s/base/secret.example.yaml', () => {
  it('is an example only: not built, placeholders only', () => {
    const text = read('k8s/base/secret.example.yaml');
    const kustomization = parseAllDocuments(read('k8s/base/kustomization.yaml'))[0]!.toJS() as {
      resources: string[];
    };
    expect(kustomization.resources).not.toContain('secret.example.yaml');
    const secret = parseAllDocuments(text)[0]!.toJS() as K8sObject & { stringData: Record<string, string> };
    expect(secret.metadata.name).toBe('syncfleet-secrets');
    expect(Object.keys(secret.stringData).sort()).toEqual([...SECRET_VARS].sort());
    for (const value of Object.values(secret.stringData)) expect(value).toMatch(/CHANGE-ME/);
  });
});
