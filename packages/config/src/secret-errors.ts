/**
 * A sealed secret that this process cannot open: its key id is not in SECRET_KEYS, or the key under
 * that id is not the one that sealed it (authentication failed), or the stored value is malformed.
 * The message never contains the secret or key material.
 */
export class SecretUnreadableError extends Error {
  override name = 'SecretUnreadableError';
  constructor(
    readonly keyId: string,
    message: string,
  ) {
    super(message);
  }
}
