// Measuring instruments for the scheduler benchmarks: CPU time of processes, SQL statements on the
// wire, Redis memory. They read what the processes did from outside; nothing in the fleet helps.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const TICKS_PER_SECOND = 100; // Linux USER_HZ: /proc/<pid>/stat times are in 1/100 s

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU time of named groups of processes between `start()` and `stop()` (pids may change between). */
export function cpuMeter() {
  let before = new Map<number, number>();
  const read = (groups: Record<string, number[]>) => {
    const snapshot = new Map<number, number>();
    for (const pids of Object.values(groups)) for (const pid of pids) snapshot.set(pid, cpuMs(pid));
    return snapshot;
  };
  return {
    start(groups: Record<string, number[]>) {
      before = read(groups);
    },
    /** ms of CPU per group since start(). Processes that appeared since count from zero. */
    stop(groups: Record<string, number[]>): Record<string, number> {
      const after = read(groups);
      const out: Record<string, number> = {};
      for (const [group, pids] of Object.entries(groups)) {
        out[group] = pids.reduce((sum, pid) => sum + (after.get(pid) ?? 0) - (before.get(pid) ?? 0), 0);
      }
      return out;
    },
  };
}

/** Bytes Redis holds for every key under `prefix` (MEMORY USAGE, summed over a SCAN). */
export async function redisBytesUnder(
  redis: Redis,
  prefix: string,
): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    for (const [, value] of (await pipeline.exec()) ?? []) bytes += Number(value ?? 0);
    keys += batch.length;
  } while (cursor !== '0');
  return { keys, bytes };
}
