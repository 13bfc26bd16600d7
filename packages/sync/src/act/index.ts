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
