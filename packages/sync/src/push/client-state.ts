import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SealedSecret, SecretBox } from '@syncfleet/config';

/**
 * A subscription's clientState: a per-subscription secret Graph sends back with every notification
 * ("The clientState property is required ... should remain secret and known only to your application
 * and the Microsoft Graph service", change-notifications-delivery-webhooks). At most 128 characters
 * (subscription resource type); 32 random bytes in base64url are 43.
 */
export function newClientState(): string {
  return randomBytes(32).toString('base64url');
}

export function sealClientState(box: SecretBox, clientState: string): SealedSecret {
  return box.seal(clientState);
}

/**
 * Constant-time comparison. Both sides are hashed first so their lengths are equal and the time
 * taken says nothing about the expected value's length either.
 */
export function clientStateMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
