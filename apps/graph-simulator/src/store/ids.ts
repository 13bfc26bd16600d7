import { createHash, randomBytes } from 'node:crypto';

/**
 * Deterministic id generator: the same seed and the same sequence of operations yield the same ids
 * (so a seeded demo is reproducible). Ids are base64url, safe in URL path segments.
 */
export interface IdGenerator {
  next(prefix: string, length?: number): string;
  guid(): string;
}

export function createIdGenerator(seed: string = randomBytes(8).toString('hex')): IdGenerator {
  let counter = 0;
  const digest = (): Buffer =>
    createHash('sha256')
      .update(seed + ':' + counter++)
      .digest();
  return {
    next(prefix, length = 40) {
      let out = prefix;
      while (out.length < length) out += digest().toString('base64url');
      return out.slice(0, length);
    },
    guid() {
      const h = digest().toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
}

export function changeKeyFor(id: string, seq: number): string {
  return 'CQAAAB' + createHash('sha1').update(`${id}:${seq}`).digest('base64').slice(0, 22);
}
