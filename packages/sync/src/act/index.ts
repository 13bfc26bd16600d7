export { stampChanges, listChanges, type ChangeView, type ChangeInput, type ChangeKind } from './changes';
export {
  createContact,
  updateContact,
  deleteContact,
  createTask,
  updateTask,
  deleteTask,
  ownerMailboxId,
  VersionMismatchError,
  RecordNotFoundError,
  type ContactInput,
  type TaskInput,
  type Owner,
} from './records';
export { createActHandler, runActCycle, CONTACTS_FOLDER, TASKS_FOLDER } from './cycle';
export { claimOwnership, deploymentOf, OwnedElsewhereError, OWNER_EXTENSION } from './ownership';
export { actSettingsOf, type ActSettings } from './settings';
export { mergeFields, type MergeInput, type FieldConflict } from './merge';
export {
  createAppointment,
  updateAppointment,
  deleteAppointment,
  organizerMailboxId,
} from './appointments/records';
export {
  AppointmentInputError,
  type AppointmentInput,
  type AppointmentCreateInput,
  type AppointmentWithParties,
  type AttendeeInput,
  type PartyInput,
  type Recurrence,
} from './appointments/input';
export { ianaZone, zoned, instantOf, type ZonedTime } from './appointments/time';
