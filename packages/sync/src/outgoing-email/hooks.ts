/** The named points of the send protocol (README "Exactly once"), where tests inject failures. */
export const SEND_PROTOCOL_POINTS = [
  'after-claim',
  'after-draft-created',
  'after-draft-saved',
  'after-send-submitted',
  'after-send',
  'after-sent-saved',
] as const;
export type SendProtocolPoint = (typeof SEND_PROTOCOL_POINTS)[number];

/**
 * Instrumentation of the send protocol, set only by tests (through the handler's settings or the
 * test-only worker entry): production runs without it, so no crash seam is compiled into the path.
 */
export interface SendHooks {
  /** Called at each point of the protocol; may throw (to die there) or end the process. */
  at(point: SendProtocolPoint, emailId: string): void;
  /** An error thrown by `at`: the protocol must not handle it (the process is gone). */
  isCrash(error: unknown): boolean;
}
