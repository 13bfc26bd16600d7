export * from './engine/types';
export {
  runWorkloadCycle,
  runWorkloadJob,
  type CycleReport,
  type JobOutcome,
  type RunJobOptions,
} from './engine/run-job';
export {
  testAndEnable,
  MailboxNotFoundError,
  type TestAndEnableResult,
  type TestAndEnableCheck,
} from './engine/test-and-enable';
export {
  createEngineResources,
  engineResourcesFromEnv,
  settingsFromEnv,
  logNotifier,
  type EngineWiring,
} from './engine/resources';
export { consequenceOf, type Consequence } from './engine/policy';
export { classifyError } from './engine/classify';
export { nextRunAt } from './engine/schedule';
export { toDbWorkload, fromDbWorkload } from '@syncfleet/db';
export { createProbeHandlers, userPath } from './probe/probe-handlers';
export { createWorkloadHandlers, type HandlersConfig } from './handlers';
export * from './outgoing-email';
export { claimable } from './engine/claimable';
export { requestCycles, type CycleRequest, type WakeDeps, type WakeResult } from './engine/wake';
export {
  verifySecretKeys,
  rotateSecrets,
  SecretKeyMismatchError,
  type RotationResult,
} from './secrets/key-check';
export * from './push';
export { DigestNotifier, signWebhookBody, SIGNATURE_HEADER, type DigestDeps } from './notifications/digest';
export { listTenantUsers, type TenantUser } from './import/tenant-users';
export {
  findTenantGroup,
  GROUP_PERMISSION,
  listGroupMembers,
  type GroupLookup,
  type TenantGroup,
} from './import/group-members';
export * from './act';
// ACT settings as the console edits them: the field lists the direction maps may name.
export { FIELDS as ACT_FIELDS, type ActKind, type Direction } from './act/fields';
export { APPOINTMENT_FIELDS } from './act/appointments/fields';
export { appointmentSettingsOf, type AppointmentSettings } from './act/appointments/settings';
