export {
  createOutgoingEmail,
  MAX_INLINE_ATTACHMENT_BYTES,
  OutgoingEmailInputError,
  type EmailAddressInput,
  type OutgoingAttachmentInput,
  type OutgoingEmailInput,
  type OutgoingFieldError,
} from './create';
export { createOutgoingEmailHandler, outgoingSettingsFromConfig, type OutgoingSettings } from './processor';
export { sendOne, isEmailPermanent, type SendSettings, type SendOutcome } from './send-one';
export { SYNCFLEET_HEADER } from '../message-headers';
export { SEND_PROTOCOL_POINTS, type SendHooks, type SendProtocolPoint } from './hooks';
