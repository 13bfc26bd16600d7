import { generateSecretKey, SecretBox } from './secret-box';
import { SecretUnreadableError } from './secret-errors';

describe('SecretBox', () => {
  const old = generateSecretKey('old');
  const current = generateSecretKey('new');

  it('round-trips and never stores the plaintext', () => {
    const box = new SecretBox([current]);
    const sealed = box.seal('s3cr3t-value');
    expect(sealed.keyId).toBe('new');
    expect(sealed.ciphertext).not.toContain('s3cr3t');
    expect(box.open(sealed)).toBe('s3cr3t-value');
    expect(box.seal('s3cr3t-value').ciphertext).not.toBe(sealed.ciphertext);
  });

  it('decrypts with a rotated-out key and says when to re-seal', () => {
    const sealed = new SecretBox([old]).seal('x');
    const box = new SecretBox([current, old]);
    expect(box.open(sealed)).toBe('x');
    expect(box.needsRotation(sealed)).toBe(true);
    expect(() => new SecretBox([current]).open(sealed)).toThrow(/key "old", which is not in SECRET_KEYS/);
  });

  it('detects tampering', () => {
    const box = new SecretBox([current]);
    const sealed = box.seal('abc');
    const parts = sealed.ciphertext.split('.');
    parts[3] = Buffer.from('abd').toString('base64url');
    expect(() => box.open({ ...sealed, ciphertext: parts.join('.') })).toThrow();
    expect(() => box.open({ keyId: 'old', ciphertext: sealed.ciphertext })).toThrow();
  });
});

describe('SecretBox hardening', () => {
  const key = generateSecretKey('k1');

  it('refuses a truncated GCM tag (only the full 16-byte tag authenticates)', () => {
    const box = new SecretBox([key]);
    const sealed = box.seal('client-secret');
    const parts = sealed.ciphertext.split('.');
    parts[2] = Buffer.from(parts[2]!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.open({ ...sealed, ciphertext: parts.join('.') })).toThrow(SecretUnreadableError);
  });

  it('refuses duplicate key ids at construction (boot)', () => {
    expect(() => new SecretBox([key, generateSecretKey('k1')])).toThrow(/key id "k1" twice/);
  });

  it('reports a secret sealed under another key with the same id as SecretUnreadableError', () => {
    const sealed = new SecretBox([key]).seal('x');
    const other = new SecretBox([generateSecretKey('k1')]);
    let thrown: unknown;
    try {
      other.open(sealed);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SecretUnreadableError);
    expect((thrown as SecretUnreadableError).keyId).toBe('k1');
  });

  it('key check values tell the right key from a wrong one under the same id', () => {
    const box = new SecretBox([key]);
    const check = box.keyCheck('k1');
    expect(box.matchesKeyCheck('k1', check)).toBe(true);
    expect(new SecretBox([generateSecretKey('k1')]).matchesKeyCheck('k1', check)).toBe(false);
    expect(box.matchesKeyCheck('k2', check)).toBe(false);
  });
});
