import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { read, ROOT } from './support';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are checked structurally. */
type K8sObject = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any };

const haveKubectl = !spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error;
if (!haveKubectl) console.warn('SKIPPED NetworkPolicy tests: `kubectl` is not installed.');
const describeK8s = haveKubectl ? describe : describe.skip;

function build(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((d) => d.toJS() as K8sObject);
}

/** A label selector (matchLabels and In-expressions) against a pod's labels. */
function selects(selector: any, labels: Record<string, string> = {}): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpr = (selector.matchExpressions ?? []).every(
    (e: any) => e.operator === 'In' && e.values.includes(labels[e.key]),
  );
  return byLabel && byExpr;
}

const podLabels = (o: K8sObject) => o.spec.template.metadata.labels as Record<string, string>;

describeK8s.each(['k8s/base', 'k8s/overlays/demo'])('NetworkPolicies of %s', (dir) => {
  const objects = haveKubectl ? build(dir) : [];
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const pods = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
  const ingressRules = (labels: Record<string, string>) =>
    policies
      .filter((p) => p.spec.policyTypes.includes('Ingress') && selects(p.spec.podSelector, labels))
      .flatMap((p) => p.spec.ingress ?? []);

  it('selects every pod for both ingress and egress (default deny)', () => {
    for (const pod of pods)
      for (const type of ['Ingress', 'Egress'])
        expect({
          pod: pod.metadata.name,
          type,
          selected: policies.some(
            (p) => p.spec.policyTypes.includes(type) && selects(p.spec.podSelector, podLabels(pod)),
          ),
        }).toEqual({
          pod: pod.metadata.name,
          type,
          selected: true,
        });
  });

  const fromNamespace = (name: string) => [
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } },
  ];
  const PROMETHEUS_ON_OPS = { from: fromNamespace('monitoring'), ports: [{ protocol: 'TCP', port: 'ops' }] };

  it('admits connections to the console only from the ingress controller on http, Prometheus on ops', () => {
    const console = pods.find((o) => o.metadata.name === 'syncfleet-console')!;
    const rules = ingressRules(podLabels(console));
    expect(rules).toEqual(
      expect.arrayContaining([
        { from: fromNamespace('ingress-nginx'), ports: [{ protocol: 'TCP', port: 'http' }] },
        PROMETHEUS_ON_OPS,
      ]),
    );
    expect(rules).toHaveLength(2);
  });

  it('admits to workers and the scheduler only Prometheus on the ops port; nothing to the migration Job', () => {
    for (const name of ['syncfleet-worker', 'syncfleet-scheduler'])
      expect({ name, rules: ingressRules(podLabels(pods.find((o) => o.metadata.name === name)!)) }).toEqual({
        name,
        rules: [PROMETHEUS_ON_OPS],
      });
    const job = pods.find((o) => o.metadata.name === 'syncfleet-migrate')!;
    const opsPorts = job.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []);
    expect(opsPorts).toEqual([]); // the rule names a port the Job does not have: nothing reaches it
  });

  it('has a placeholder policy for the Graph webhook receiver: ingress controller only', () => {
    const rules = ingressRules({
      'app.kubernetes.io/name': 'syncfleet',
      'app.kubernetes.io/component': 'webhooks',
    });
    expect(rules).toEqual(
      expect.arrayContaining([
        { from: fromNamespace('ingress-nginx'), ports: [{ protocol: 'TCP', port: 'http' }] },
        PROMETHEUS_ON_OPS,
      ]),
    );
    expect(rules).toHaveLength(2);
  });

  it('lets pods out only to DNS, PostgreSQL, Redis and HTTPS (plus the simulator in the demo)', () => {
    const ports = new Set(
      policies.flatMap((p) =>
        (p.spec.egress ?? []).flatMap((rule: any) => rule.ports.map((port: any) => port.port)),
      ),
    );
    expect([...ports].sort()).toEqual(
      dir.includes('demo') ? [443, 4443, 53, 5432, 6379, 6380] : [443, 53, 5432, 6379, 6380],
    );
  });

  if (dir.includes('demo'))
    it('lets only the worker and the console reach the simulator', () => {
      const simulator = pods.find((o) => o.metadata.name === 'graph-simulator')!;
      // The metrics rule names the `ops` port, which the simulator does not declare: it admits nothing there.
      const simPorts = simulator.spec.template.spec.containers.flatMap((c: any) =>
        c.ports.map((p: any) => p.name),
      );
      expect(simPorts).not.toContain('ops');
      const from = ingressRules(podLabels(simulator))
        .filter((r: any) => r.ports?.[0]?.port !== 'ops')
        .flatMap((r: any) => r.from);
      expect(from.map((f: any) => f.podSelector.matchLabels['app.kubernetes.io/component']).sort()).toEqual([
        'console',
        'worker',
      ]);
    });
});

describe('k8s/base/ingress.example.yaml', () => {
  const ingress = parseAllDocuments(read('k8s/base/ingress.example.yaml'))[0]!.toJS() as K8sObject;

  it('terminates TLS for its host and sends everything to the console Service', () => {
    expect(ingress.kind).toBe('Ingress');
    const host = ingress.spec.rules[0].host;
    expect(ingress.spec.tls).toEqual([{ hosts: [host], secretName: expect.any(String) }]);
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    expect(backend).toEqual({ name: 'syncfleet-console', port: { name: 'http' } });
    expect((ingress as any).metadata.annotations['nginx.ingress.kubernetes.io/force-ssl-redirect']).toBe(
      'true',
    );
  });

  it('is an example: not part of the kustomization', () => {
    const kustomization = parseAllDocuments(read('k8s/base/kustomization.yaml'))[0]!.toJS() as {
      resources: string[];
    };
    expect(kustomization.resources).not.toContain('ingress.example.yaml');
  });
});

describe('Redis requires a password', () => {
  it('in the Kubernetes secret example (REDIS_URL carries one)', () => {
    const secret = parseAllDocuments(read('k8s/base/secret.example.yaml'))[0]!.toJS() as {
      stringData: Record<string, string>;
    };
    expect(new URL(secret.stringData.REDIS_URL!).password).not.toBe('');
  });

  it("in docker compose: requirepass from REDIS_PASSWORD, which the apps' REDIS_URL carries", () => {
    const compose = parseAllDocuments(read('docker-compose.yml'), { merge: true })[0]!.toJS() as any;
    const redis = compose.services.redis;
    expect(JSON.stringify(redis.command)).toContain('--requirepass');
    expect(redis.environment.REDIS_PASSWORD).toBe('${REDIS_PASSWORD:-}');
    expect(compose.services.worker.environment.REDIS_URL).toBe('redis://:${REDIS_PASSWORD:-}@redis:6379');
  });
});
