export { REASONS, REASON_NAMES, type ErrorKind, type ErrorScope, type Reason } from './reasons';
export { SyncError, firstLine, type SyncErrorDetails } from './sync-error';
