import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets at rest (profile client secrets). Ciphertext format:
 * `v1.<iv b64url>.<tag b64url>.<data b64url>`, stored beside the id of the key that made it, so keys
 * can rotate: the first configured key encrypts, every configured key can decrypt.
 */
export interface SealedSecret {
  keyId: string;
  ciphertext: string;
}

export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  private readonly currentKeyId: string;

  /** `keys` as in SECRET_KEYS: "<keyId>:<base64 of 32 bytes>", current key first. */
  constructor(keys: string[]) {
    if (!keys.length) throw new Error('SecretBox needs at least one key (SECRET_KEYS).');
    this.keys = new Map(
      keys.map((entry) => {
        const [id, material] = entry.split(':');
        const key = Buffer.from(material ?? '', 'base64');
        if (!id || key.length !== 32)
          throw new Error(`SECRET_KEYS entry "${id ?? ''}" is not a 32-byte key.`);
        return [id, key];
      }),
    );
    this.currentKeyId = keys[0]!.split(':')[0]!;
  }

  seal(plaintext: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(this.currentKeyId));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url'));
    return { keyId: this.currentKeyId, ciphertext: `v1.${parts.join('.')}` };
  }

  open({ keyId, ciphertext }: SealedSecret): string {
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`Secret was encrypted with key "${keyId}", which is not in SECRET_KEYS.`);
    const [version, iv, tag, data] = ciphertext.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('Malformed sealed secret.');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }

  /** True when the secret should be re-sealed with the current key (rotation). */
  needsRotation(sealed: SealedSecret): boolean {
    return sealed.keyId !== this.currentKeyId;
  }
}

export function generateSecretKey(keyId = 'k1'): string {
  return `${keyId}:${randomBytes(32).toString('base64')}`;
}
