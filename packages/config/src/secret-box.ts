import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretUnreadableError } from './secret-errors';

/**
 * AES-256-GCM for secrets at rest (profile client secrets). Ciphertext format:
 * `v1.<iv b64url>.<tag b64url>.<data b64url>`, stored beside the id of the key that made it, so keys
 * can rotate: the first configured key encrypts, every configured key can decrypt.
 */
export interface SealedSecret {
  keyId: string;
  ciphertext: string;
}

/** GCM's full 128-bit tag. Node accepts shorter tags on decryption, which weakens authentication. */
const TAG_BYTES = 16;
const IV_BYTES = 12;

export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  readonly currentKeyId: string;

  /** `keys` as in SECRET_KEYS: "<keyId>:<base64 of 32 bytes>", current key first. */
  constructor(keys: string[]) {
    if (!keys.length) throw new Error('SecretBox needs at least one key (SECRET_KEYS).');
    this.keys = new Map();
    for (const entry of keys) {
      const [id, material] = entry.split(':');
      const key = Buffer.from(material ?? '', 'base64');
      if (!id || key.length !== 32) throw new Error(`SECRET_KEYS entry "${id ?? ''}" is not a 32-byte key.`);
      // Two keys under one id would make "which key sealed this" ambiguous: refuse rather than guess.
      if (this.keys.has(id))
        throw new Error(`SECRET_KEYS lists key id "${id}" twice; key ids must be unique.`);
      this.keys.set(id, key);
    }
    this.currentKeyId = keys[0]!.split(':')[0]!;
  }

  /** Every configured key id, current first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  seal(plaintext: string): SealedSecret {
    return this.sealWith(this.currentKeyId, plaintext);
  }

  private sealWith(keyId: string, plaintext: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(keyId));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url'));
    return { keyId, ciphertext: `v1.${parts.join('.')}` };
  }

  /** Opens a sealed secret, or throws SecretUnreadableError (never a message with key material). */
  open({ keyId, ciphertext }: SealedSecret): string {
    const key = this.keys.get(keyId);
    if (!key)
      throw new SecretUnreadableError(
        keyId,
        `Secret was encrypted with key "${keyId}", which is not in SECRET_KEYS.`,
      );
    const [version, ivText, tagText, data] = ciphertext.split('.');
    const iv = Buffer.from(ivText ?? '', 'base64url');
    const tag = Buffer.from(tagText ?? '', 'base64url');
    if (version !== 'v1' || iv.length !== IV_BYTES || tag.length !== TAG_BYTES || data === undefined)
      throw new SecretUnreadableError(keyId, `Sealed secret (key "${keyId}") is malformed.`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretUnreadableError(
        keyId,
        `Secret sealed with key "${keyId}" cannot be opened: the configured key "${keyId}" is not the one that sealed it.`,
      );
    }
  }

  /** True when the secret should be re-sealed with the current key (rotation). */
  needsRotation(sealed: SealedSecret): boolean {
    return sealed.keyId !== this.currentKeyId;
  }

  /**
   * A value stored per key id that proves, at boot, that the configured key under that id is the
   * one the database knows (a sealed constant; GCM authentication fails under any other key).
   */
  keyCheck(keyId: string): string {
    return this.sealWith(keyId, KEY_CHECK_PLAINTEXT).ciphertext;
  }

  /** Whether `check` (from keyCheck) was made by the key configured under `keyId`. */
  matchesKeyCheck(keyId: string, check: string): boolean {
    if (!this.keys.has(keyId)) return false;
    try {
      return this.open({ keyId, ciphertext: check }) === KEY_CHECK_PLAINTEXT;
    } catch {
      return false;
    }
  }
}

const KEY_CHECK_PLAINTEXT = 'syncfleet-key-check';

export function generateSecretKey(keyId = 'k1'): string {
  return `${keyId}:${randomBytes(32).toString('base64')}`;
}
