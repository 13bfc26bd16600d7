import { graphError } from '../http/errors';
import type { SimRequest, SimResponse } from '../http/types';
import { asObject } from './context';

interface BatchStep {
  id: string;
  /** The id lower-cased: ids and dependsOn compare case-insensitively. */
  key: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  dependsOn: string[];
}

const MAX_REQUESTS = 20;
/** Outlook runs at most 4 requests of a batch in parallel ("Combine multiple requests in one HTTP call"). */
const PARALLEL = 4;

function parse(body: unknown): BatchStep[] | SimResponse {
  const requests = asObject(body)?.requests;
  if (!Array.isArray(requests)) return graphError(400, 'BadRequest', 'Invalid batch payload format.');
  if (requests.length > MAX_REQUESTS) {
    return graphError(
      400,
      'BadRequest',
      `The number of batch requests exceeds the limit of ${MAX_REQUESTS}.`,
    );
  }
  const steps: BatchStep[] = [];
  const ids = new Set<string>();
  for (const raw of requests) {
    const r = asObject(raw);
    if (!r || typeof r.id !== 'string' || typeof r.method !== 'string' || typeof r.url !== 'string') {
      return graphError(400, 'BadRequest', 'Each batch request needs id, method and url.');
    }
    // json-batching: the id is "Not case-sensitive. Must be unique in the batch" (else 400).
    const key = r.id.toLowerCase();
    if (ids.has(key)) return graphError(400, 'BadRequest', `Batch request ids must be unique: '${r.id}'.`);
    ids.add(key);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(asObject(r.headers) ?? {})) headers[k.toLowerCase()] = String(v);
    if (r.body !== undefined && !headers['content-type']) {
      return graphError(
        400,
        'BadRequest',
        `Request '${r.id}': a Content-Type header is required when a body is present.`,
      );
    }
    const dependsOn = Array.isArray(r.dependsOn) ? r.dependsOn.map((d) => String(d).toLowerCase()) : [];
    steps.push({
      id: r.id,
      key,
      method: r.method.toUpperCase(),
      url: r.url,
      headers,
      body: r.body,
      dependsOn,
    });
  }
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (!ids.has(dep))
        return graphError(400, 'BadRequest', `Request '${step.id}' depends on unknown id '${dep}'.`);
    }
  }
  return steps;
}

function innerPath(url: string): { path: string; query: URLSearchParams } {
  const parsed = new URL(url.replace(/^\/?(v1\.0\/)?/, '/v1.0/'), 'https://batch.invalid');
  return { path: parsed.pathname, query: parsed.searchParams };
}

function capitalize(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    out[k.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase())] = v;
  }
  return out;
}

/**
 * POST /$batch: each inner request goes through the same pipeline (auth, anchor check, faults,
 * throttling, metrics), so inner 429s carry their own Retry-After; the outer response is 200.
 */
export async function handleBatch(
  req: SimRequest,
  dispatch: (inner: SimRequest) => Promise<SimResponse>,
): Promise<SimResponse> {
  const steps = parse(req.body);
  if (!Array.isArray(steps)) return steps;
  const results = new Map<string, { status: number; headers: Record<string, string>; body?: unknown }>();
  const pending = new Set(steps);

  async function run(step: BatchStep): Promise<void> {
    const failedDep = step.dependsOn.find((d) => (results.get(d)?.status ?? 0) >= 400);
    if (failedDep) {
      results.set(step.key, {
        status: 424,
        headers: { 'Content-Type': 'application/json' },
        body: { error: { code: 'FailedDependency', message: `Dependency '${failedDep}' failed.` } },
      });
      return;
    }
    const { path, query } = innerPath(step.url);
    const res = await dispatch({
      method: step.method,
      path,
      query,
      headers: { ...step.headers, authorization: req.headers.authorization },
      body: step.body,
      baseUrl: req.baseUrl,
      inner: true,
    });
    const status = res.drop ? 504 : res.status;
    const headers = capitalize(res.headers);
    delete headers['Request-Id'];
    if (res.body !== undefined) headers['Content-Type'] = 'application/json';
    results.set(step.key, { status, headers, body: res.drop ? undefined : (res.text ?? res.body) });
  }

  while (pending.size > 0) {
    const ready = [...pending].filter((s) => s.dependsOn.every((d) => results.has(d))).slice(0, PARALLEL);
    if (ready.length === 0) return graphError(400, 'BadRequest', 'Batch dependsOn contains a cycle.');
    for (const s of ready) pending.delete(s);
    await Promise.all(ready.map(run));
  }
  // "Individual responses might appear in a different order than the requests" (json-batching):
  // they come back last request first, so a client that relies on the order fails here too.
  const responses = [...steps].reverse().map((s) => ({ id: s.id, ...results.get(s.key) }));
  return { status: 200, body: { responses } };
}
