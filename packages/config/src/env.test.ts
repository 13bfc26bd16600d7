import { ConfigError, parseSchedulerEnv, parseWorkerEnv } from './index';

const KEY = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

describe('parseEnv', () => {
  it('applies defaults that work on a developer machine', () => {
    const env = parseSchedulerEnv({});
    expect(env.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/syncfleet');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.INCOMING_INTERVAL_SEC).toBe(300);
    expect(env.TRANSIENT_MAX_RETRIES).toBe(10);
  });

  it('names each wrong variable and how to fix it, without echoing secrets', () => {
    let error: unknown;
    try {
      parseWorkerEnv({
        REDIS_URL: 'http://nope',
        SECRET_KEYS: 'tooshort',
        WORKLOADS: 'incoming-email,bogus',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /REDIS_URL: must be a URL starting with redis:\/\/ or rediss:\/\/ \(got "http:\/\/nope"\)/,
    );
    expect(message).toMatch(/SECRET_KEYS.*openssl rand -base64 32/);
    expect(message).not.toContain('tooshort');
    expect(message).toMatch(/WORKLOADS.*incoming-email, outgoing-email, act/);
  });

  it('never echoes the password of a rejected connection URL', () => {
    expect(() => parseSchedulerEnv({ DATABASE_URL: 'mysql://app:hunter2@db.internal/syncfleet' })).toThrow(
      /DATABASE_URL: .*got "mysql:\/\/app:\*\*\*@db\.internal\/syncfleet"/,
    );
  });

  it('parses lists and numbers', () => {
    const env = parseWorkerEnv({
      SECRET_KEYS: `${KEY}, k0:${Buffer.alloc(32).toString('base64')}`,
      WORKLOADS: 'act,act',
    });
    expect(env.SECRET_KEYS).toHaveLength(2);
    expect(env.WORKLOADS).toEqual(['act']);
  });
});
