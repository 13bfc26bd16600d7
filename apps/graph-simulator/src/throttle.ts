import type { SimConfig } from './config';
import { inc } from './metrics';
import type { Metrics } from './metrics';

/**
 * Outlook throttling per app + mailbox ("Microsoft Graph service-specific throttling limits",
 * https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits): "10,000 API requests
 * in a 10-minute period", "Four concurrent requests", "150 megabytes (MB) upload (PATCH, POST, PUT)
 * in a 5-minute period". Both periods slide (the last 10 minutes, the last 5 minutes, whenever one
 * looks), and every request counts toward the request limit, refused ones included ("Microsoft Graph
 * throttling guidance", https://learn.microsoft.com/graph/throttling: "Avoid immediate retries,
 * because all requests accrue against your usage limits"; "Microsoft Graph continues to log
 * resource usage while a client is being throttled"). The bytes of a refused upload are not
 * counted: nothing was stored. O(1) per request (amortised) besides one map lookup.
 */
interface PairState {
  /** Requests of the last 10 minutes per second, oldest first: [epoch second, count]. */
  requests: Array<[number, number]>;
  /** Their sum. */
  requestCount: number;
  inFlight: number;
  /** Epoch ms before which this app should not call this mailbox (last Retry-After issued). */
  retryAfterUntil: number;
  /** Uploads of the last 5 minutes, oldest first: [epoch ms, bytes]. */
  uploads: Array<[number, number]>;
  uploadBytes: number;
}

interface AppState {
  second: number;
  count: number;
}

export type Throttle = ReturnType<typeof createThrottle>;

export type ThrottleVerdict =
  { ok: true; release: () => void } | { ok: false; retryAfterSeconds: number; concurrency: boolean };

const WINDOW_MS = 10 * 60 * 1000;
const UPLOAD_METHODS = new Set(['PATCH', 'POST', 'PUT']);
const EARLY_TOLERANCE_MS = 50;

export function createThrottle(deps: { config: SimConfig; metrics: Metrics; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const pairs = new Map<string, PairState>();
  const apps = new Map<string, AppState>();

  function pair(key: string): PairState {
    let state = pairs.get(key);
    if (!state) {
      state = { requests: [], requestCount: 0, inFlight: 0, retryAfterUntil: 0, uploads: [], uploadBytes: 0 };
      pairs.set(key, state);
    }
    return state;
  }

  /** Counts a request that arrives while a Retry-After we issued is still running. */
  function noteArrival(appKey: string, mailboxId: string): void {
    const state = pairs.get(`${appKey}|${mailboxId}`);
    if (state && now() < state.retryAfterUntil - EARLY_TOLERANCE_MS) {
      deps.metrics.earlyRequests++;
      inc(deps.metrics.earlyRequestsByMailbox, mailboxId);
    }
  }

  /** Remembers a Retry-After sent to `appKey` for `mailboxId` (429 or 503), for the early-request metric. */
  function noteRetryAfter(appKey: string, mailboxId: string | undefined, seconds: number): void {
    if (!mailboxId) return;
    const state = pair(`${appKey}|${mailboxId}`);
    state.retryAfterUntil = Math.max(state.retryAfterUntil, now() + seconds * 1000);
  }

  /**
   * The upload budget: bytes of PATCH/POST/PUT bodies in a sliding 5-minute window. Over it → the
   * seconds until enough of the window has aged out for this request to fit.
   */
  function uploadWait(state: PairState, t: number, bytes: number): number {
    const windowMs = deps.config.mailboxUploadWindowSeconds * 1000;
    while (state.uploads.length > 0 && t - state.uploads[0]![0] >= windowMs) {
      state.uploadBytes -= state.uploads.shift()![1];
    }
    const budget = deps.config.mailboxUploadBytesPer5Min;
    if (state.uploadBytes + bytes <= budget) return 0;
    let freed = 0;
    for (const [at, size] of state.uploads) {
      freed += size;
      if (state.uploadBytes - freed + bytes <= budget)
        return Math.max(1, Math.ceil((at + windowMs - t) / 1000));
    }
    return Math.ceil(windowMs / 1000); // larger than the whole budget: never fits sooner
  }

  /**
   * Counts a request in the sliding 10 minutes; over the limit → the seconds until enough of the
   * window has aged out for the count to be under it again (if nothing more arrives meanwhile).
   */
  function requestWait(state: PairState, t: number): number {
    const second = Math.floor(t / 1000);
    const windowSeconds = WINDOW_MS / 1000;
    while (state.requests.length > 0 && second - state.requests[0]![0] >= windowSeconds) {
      state.requestCount -= state.requests.shift()![1];
    }
    const last = state.requests[state.requests.length - 1];
    if (last && last[0] === second) last[1]++;
    else state.requests.push([second, 1]);
    state.requestCount++;
    const limit = deps.config.mailboxRequestsPer10Min;
    if (state.requestCount <= limit) return 0;
    let freed = 0;
    for (const [at, count] of state.requests) {
      freed += count;
      if (state.requestCount - freed < limit) return Math.max(1, at + windowSeconds - t / 1000);
    }
    return windowSeconds;
  }

  function acquire(
    appKey: string,
    mailboxId: string | undefined,
    upload?: { method: string; bytes: number },
  ): ThrottleVerdict {
    const { config } = deps;
    const t = now();
    if (config.appRequestsPerSecond > 0) {
      let app = apps.get(appKey);
      const second = Math.floor(t / 1000);
      if (!app || app.second !== second) apps.set(appKey, (app = { second, count: 0 }));
      if (++app.count > config.appRequestsPerSecond)
        return { ok: false, retryAfterSeconds: 1, concurrency: false };
    }
    if (!mailboxId) return { ok: true, release: () => undefined };
    const state = pair(`${appKey}|${mailboxId}`);
    const requestsWait = requestWait(state, t);
    if (requestsWait > 0) {
      return { ok: false, retryAfterSeconds: Math.ceil(requestsWait), concurrency: false };
    }
    if (state.inFlight >= config.mailboxConcurrency) {
      return { ok: false, retryAfterSeconds: config.concurrencyRetryAfterSeconds, concurrency: true };
    }
    const uploading = upload && UPLOAD_METHODS.has(upload.method) && upload.bytes > 0 ? upload.bytes : 0;
    if (uploading > 0) {
      const wait = uploadWait(state, t, uploading);
      if (wait > 0) return { ok: false, retryAfterSeconds: wait, concurrency: false };
      state.uploads.push([t, uploading]);
      state.uploadBytes += uploading;
    }
    state.inFlight++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        state.inFlight--;
      },
    };
  }

  return { acquire, noteArrival, noteRetryAfter, reset: () => (pairs.clear(), apps.clear()) };
}
