import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './support';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are checked structurally. */
type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: any;
};

const haveKubectl = !spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error;
if (!haveKubectl) console.warn('SKIPPED autoscaling manifest tests: `kubectl` is not installed.');
const describeK8s = haveKubectl ? describe : describe.skip;

function build(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((d) => d.toJS() as K8sObject);
}

/**
 * Validates objects against KEDA's own CRD schema, as compiled by @kubernetes-models/keda (an ESM
 * package: run in a node child process). Returns one error message per invalid object.
 */
function kedaSchemaErrors(objects: K8sObject[]): string[] {
  const script = `
    import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
    const objects = JSON.parse(await new Promise((resolve) => { let s = ''; process.stdin.on('data', (c) => (s += c)); process.stdin.on('end', () => resolve(s)); }));
    const errors = [];
    for (const o of objects) { try { new ScaledObject(o).validate(); } catch (e) { errors.push(o.metadata.name + ': ' + e.message); } }
    console.log(JSON.stringify(errors));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    input: JSON.stringify(objects),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`KEDA schema check failed to run:\n${result.stderr}`);
  return JSON.parse(result.stdout) as string[];
}

/**
 * Fields the KEDA documentation lists (ScaledObject specification; Prometheus scaler). The CRD
 * schema does not forbid unknown fields — the API server would silently prune a misspelt one — so
 * they are checked against these lists.
 */
const SPEC_FIELDS = [
  'scaleTargetRef',
  'pollingInterval',
  'cooldownPeriod',
  'initialCooldownPeriod',
  'idleReplicaCount',
  'minReplicaCount',
  'maxReplicaCount',
  'fallback',
  'advanced',
  'triggers',
];
const PROMETHEUS_METADATA = [
  'serverAddress',
  'query',
  'queryParameters',
  'threshold',
  'activationThreshold',
  'namespace',
  'customHeaders',
  'ignoreNullValues',
  'unsafeSsl',
];

describeK8s('worker autoscaling', () => {
  const base = haveKubectl ? build('k8s/base') : [];
  const cpu = haveKubectl ? build('k8s/overlays/cpu-hpa') : [];
  const find = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

  it('k8s/base scales workers with a KEDA ScaledObject that passes the CRD schema', () => {
    const [scaled, ...more] = find(base, 'ScaledObject');
    expect(more).toEqual([]);
    expect(find(base, 'HorizontalPodAutoscaler')).toEqual([]); // KEDA makes its own HPA
    expect(kedaSchemaErrors([scaled!])).toEqual([]);
    expect(scaled!.metadata.namespace).toBe('syncfleet');
    expect(Object.keys(scaled!.spec).filter((k) => !SPEC_FIELDS.includes(k))).toEqual([]);
    expect(scaled!.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'syncfleet-worker',
    });
    expect(base.some((o) => o.kind === 'Deployment' && o.metadata.name === 'syncfleet-worker')).toBe(true);
    expect(scaled!.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
    expect(scaled!.spec.maxReplicaCount).toBeGreaterThan(scaled!.spec.minReplicaCount);
    expect(scaled!.spec.cooldownPeriod).toBeGreaterThan(0);
    // Fallback (Prometheus unreachable) stays within the bounds; KEDA allows it with AverageValue only.
    expect(scaled!.spec.fallback.replicas).toBeGreaterThanOrEqual(scaled!.spec.minReplicaCount);
    expect(scaled!.spec.fallback.replicas).toBeLessThanOrEqual(scaled!.spec.maxReplicaCount);
    const [trigger] = scaled!.spec.triggers;
    expect(trigger.type).toBe('prometheus');
    expect(trigger.metricType).toBe('AverageValue');
    expect(Object.keys(trigger.metadata).filter((k) => !PROMETHEUS_METADATA.includes(k))).toEqual([]);
    expect(trigger.metadata.query).toMatch(/syncfleet_queue_jobs\{[^}]*state=~"waiting\|prioritized"/);
    expect(Number(trigger.metadata.threshold)).toBeGreaterThan(0);
  });

  it('the schema check catches a wrong field type', () => {
    const [scaled] = find(base, 'ScaledObject');
    const broken = structuredClone(scaled!);
    broken.spec.pollingInterval = 'often';
    expect(kedaSchemaErrors([broken])).toEqual([expect.stringMatching(/pollingInterval must be integer/)]);
  });

  it('k8s/overlays/cpu-hpa is the fallback: the CPU HPA instead of the ScaledObject', () => {
    expect(find(cpu, 'ScaledObject')).toEqual([]);
    const [hpa] = find(cpu, 'HorizontalPodAutoscaler');
    expect(hpa!.metadata.namespace).toBe('syncfleet');
    expect(hpa!.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'syncfleet-worker',
    });
    expect(hpa!.spec.metrics[0].resource.name).toBe('cpu');
    // Everything else is the base's.
    const names = (objects: K8sObject[]) =>
      objects
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .filter((k) => !/ScaledObject|HorizontalPodAutoscaler/.test(k));
    expect(names(cpu).sort()).toEqual(names(base).sort());
  });
});
