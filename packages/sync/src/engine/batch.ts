/**
 * Requests that arrive in the same turn of the event loop, or while earlier batches are on their
 * way, are handed to `run` together: one database round trip and one commit for many of them. A
 * worker running many cycles at once pays one statement for all their claims or records (what an
 * idle cycle costs is mostly round trips: bench:scheduler:saturation); a lone request waits for
 * nothing but the current turn to end. `run` answers each input, in order.
 */
export function createBatcher<In, Out>(
  run: (batch: In[]) => Promise<Out[]>,
  { maxBatch = 100, maxInFlight = 2 }: { maxBatch?: number; maxInFlight?: number } = {},
): (input: In) => Promise<Out> {
  type Waiting = { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void };
  let waiting: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const send = async (batch: Waiting[]) => {
    try {
      const outs = await run(batch.map((w) => w.input));
      batch.forEach((w, i) => w.resolve(outs[i]!));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  };
  const flush = () => {
    scheduled = false;
    while (waiting.length && inFlight < maxInFlight) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(maxBatch);
      inFlight += 1;
      void send(batch).finally(() => {
        inFlight -= 1;
        flush();
      });
    }
  };
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

/** Deadlock victim, serialization failure: a batch rolled back whole and is safe to run again. */
const RETRYABLE = new Set(['40P01', '40001']);

/** Runs `statement` again (at most twice more) when PostgreSQL rolled it back as a deadlock victim. */
export async function retryingConflicts<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      if (attempt >= 3 || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
    }
  }
}
