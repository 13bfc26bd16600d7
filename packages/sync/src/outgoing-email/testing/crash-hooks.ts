import { SEND_PROTOCOL_POINTS, type SendHooks, type SendProtocolPoint } from '../hooks';

/** Test-only: thrown at a protocol point and never handled, like a process that died there. */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

/** In-process crash tests: throw SimulatedCrash at `target`. */
export function throwingAt(target: SendProtocolPoint): SendHooks {
  return {
    at: (point) => {
      if (point === target) throw new SimulatedCrash(point);
    },
    isCrash: (error) => error instanceof SimulatedCrash,
  };
}

/** Worker processes (fleet tests): SIGKILL itself at `point` with `probability` — no cleanup runs. */
export function killingAt(point: SendProtocolPoint, probability: number): SendHooks {
  return {
    at: (at, emailId) => {
      if (at !== point || Math.random() >= probability) return;
      process.stderr.write(`OUTGOING_TEST_CRASH_AT: dying at ${at} of email ${emailId}\n`);
      process.kill(process.pid, 'SIGKILL');
    },
    isCrash: () => false,
  };
}

/** `<point>[:<probability 0..1>]`, as the fleet test passes it in OUTGOING_TEST_CRASH_AT. */
export function parseCrashAt(value: string): { point: SendProtocolPoint; probability: number } {
  const [point = '', p] = value.split(':');
  const probability = p === undefined ? 1 : Number(p);
  if (
    !(SEND_PROTOCOL_POINTS as readonly string[]).includes(point) ||
    !(probability >= 0 && probability <= 1)
  ) {
    throw new Error(
      `OUTGOING_TEST_CRASH_AT must be <point>[:<probability 0..1>], point one of ${SEND_PROTOCOL_POINTS.join(', ')}; got '${value}'`,
    );
  }
  return { point: point as SendProtocolPoint, probability };
}
