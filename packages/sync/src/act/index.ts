export { stampChanges, listChanges, type ChangeView, type ChangeInput } from './changes';
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
