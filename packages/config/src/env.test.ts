import { ConfigError, parseConsoleEnv, parseSchedulerEnv, parseWorkerEnv, redactCredentials } from './index';

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

  it('requires a hash-tagged QUEUE_PREFIX on a Redis Cluster', () => {
    expect(() => parseSchedulerEnv({ REDIS_CLUSTER: 'true' })).toThrow(
      /QUEUE_PREFIX: needs a hash tag on a Redis Cluster \(got "syncfleet"\)\. Example: \{syncfleet\}/,
    );
    const env = parseSchedulerEnv({ REDIS_CLUSTER: 'true', QUEUE_PREFIX: '{syncfleet}' });
    expect([env.REDIS_CLUSTER, env.QUEUE_PREFIX]).toEqual([true, '{syncfleet}']);
    expect(parseSchedulerEnv({}).REDIS_CLUSTER).toBe(false);
  });

  it('never echoes the password of a rejected connection URL', () => {
    expect(() => parseSchedulerEnv({ DATABASE_URL: 'mysql://app:hunter2@db.internal/syncfleet' })).toThrow(
      /DATABASE_URL: .*got "mysql:\/\/\*\*\*@db\.internal\/syncfleet"/,
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

describe('configuration errors redact credentials in URLs', () => {
  it.each([
    ['DATABASE_URL', 'postgresq://u:pw-db-1@h/db'],
    ['REDIS_URL', 'http://:pw-redis-2@redis:6379'],
    ['REDIS_URL', 'redis//user:pw-redis-3@host'],
  ])('%s=%s', (variable, value) => {
    let message = '';
    try {
      parseWorkerEnv({ SECRET_KEYS: KEY, [variable]: value });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(variable);
    expect(message).not.toMatch(/pw-(db|redis)-\d/);
  });

  it('redacts user info and password-like query parameters anywhere in a text', () => {
    expect(redactCredentials('see postgresql://app:hunter2@db:5432/x?sslpassword=a&password=b')).toBe(
      'see postgresql://app:***@db:5432/x?sslpassword=a&password=***',
    );
    expect(redactCredentials('rediss://tok3n@cache')).toBe('rediss://***@cache');
  });
});

describe('ADMIN_TOKEN strength', () => {
  const parseConsole = (token: string) => () =>
    parseConsoleEnv({ SECRET_KEYS: KEY, ADMIN_TOKEN: token, DATABASE_URL: undefined });

  it('accepts a generated token (openssl rand -hex 32)', () => {
    expect(parseConsole('3f9c1e7a4b2d8f60c5a19e3b7d4f2a0c8e6b1d9f3a5c7e0b2d4f6a8c1e3b5d7f')).not.toThrow();
  });

  it.each([
    ['short', '0123456789abcdef0123456789', /at least 32 characters/],
    ['repetitive', 'abcdefghijabcdefghijabcdefghijab', /looks guessable/],
    ['few distinct characters', 'passwordpasswordpasswordpassword', /looks guessable/],
    ['the placeholder', 'CHANGE-ME-generate-with-openssl-rand-hex-32', /placeholder/],
  ])('refuses a %s token without echoing it', (_label, token, problem) => {
    expect(parseConsole(token)).toThrow(problem);
    expect(parseConsole(token)).toThrow(/ADMIN_TOKEN.*\*\*\*/);
  });
});
