export { createIncomingEmailHandler, runIncomingCycle, INBOX } from './processor';
export { incomingSettingsFromEnv, type IncomingSettings } from './settings';
