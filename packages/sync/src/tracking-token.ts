/**
 * Tracking tokens: the short reference appended to the subject of mail the app sends (outgoing
 * workload) and looked for in the subject of mail that arrives (incoming correlation, step 2).
 *
 * Format (docs/dynamics-server-side-sync.md#tracking-token):
 * `<prefix>:<user digits><counter digits>`, e.g. `CRM:0001001` for user 1, counter 1. The user
 * number is padded to 4 digits and the counter to at least 3; a counter past 999 simply grows, so a
 * token is always `prefix:` followed by digits.
 */

export const USER_NUMBER_DIGITS = 4;
export const COUNTER_MIN_DIGITS = 3;
/** Exchange keeps subjects up to 255 characters (docs/dynamics-server-side-sync.md#tracking-token). */
export const MAX_SUBJECT_LENGTH = 255;

function assertPrefix(prefix: string): void {
  if (!/^[A-Za-z0-9]{1,20}$/.test(prefix)) {
    throw new Error(`tracking token prefix must be 1-20 letters or digits, got "${prefix}"`);
  }
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got ${value}`);
  }
}

/** `formatTrackingToken('CRM', 1, 1)` → `CRM:0001001`. */
export function formatTrackingToken(prefix: string, userNumber: number, counter: number): string {
  assertPrefix(prefix);
  assertCount('userNumber', userNumber);
  assertCount('counter', counter);
  if (String(userNumber).length > USER_NUMBER_DIGITS) {
    throw new Error(`userNumber must have at most ${USER_NUMBER_DIGITS} digits, got ${userNumber}`);
  }
  const user = String(userNumber).padStart(USER_NUMBER_DIGITS, '0');
  const count = String(counter).padStart(COUNTER_MIN_DIGITS, '0');
  return `${prefix}:${user}${count}`;
}

function tokenPattern(prefix: string): RegExp {
  assertPrefix(prefix);
  // Not glued to a preceding word ("XCRM:1") nor followed by more digits/letters.
  const digits = USER_NUMBER_DIGITS + COUNTER_MIN_DIGITS;
  return new RegExp(`(?<![A-Za-z0-9])${prefix}:(\\d{${digits},})(?![A-Za-z0-9])`, 'gi');
}

/**
 * The first tracking token in a subject, in canonical form (`CRM:0001001`), or null.
 * The prefix match is case-insensitive: some clients upper/lower-case reply subjects.
 */
export function findTrackingToken(subject: string | null | undefined, prefix: string): string | null {
  if (!subject) return null;
  const match = tokenPattern(prefix).exec(subject);
  return match ? `${prefix}:${match[1]}` : null;
}

/** Cuts a string to at most `length` UTF-16 units without splitting a surrogate pair. */
function cut(text: string, length: number): string {
  if (text.length <= length) return text;
  let end = Math.max(0, length);
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

/**
 * `subject + ' ' + token`, at most `maxLength` characters: the subject is truncated, never the
 * token. A subject that already carries this token is returned as is (truncated if needed).
 */
export function appendTrackingToken(
  subject: string | null | undefined,
  token: string,
  maxLength: number = MAX_SUBJECT_LENGTH,
): string {
  if (token.length > maxLength) {
    throw new Error(`tracking token "${token}" is longer than the subject limit ${maxLength}`);
  }
  const base = (subject ?? '').trim();
  if (base.includes(token) && base.length <= maxLength) return base;
  if (base.length === 0) return token;
  const room = maxLength - token.length - 1;
  const kept = cut(base, room).trimEnd();
  return kept.length > 0 ? `${kept} ${token}` : token;
}
