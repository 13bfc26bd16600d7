import { generateSecretKey, SecretBox } from './secret-box';

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
