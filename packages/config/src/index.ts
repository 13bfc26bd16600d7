export * from './env';
export { incomingEnvSchema, type IncomingEnv } from './incoming-env';
export { pushEnvSchema, webhookEnvSchema, type PushEnv, type WebhookEnv } from './push-env';
export { outgoingEnvSchema, type OutgoingEnv } from './outgoing-env';
export { ConfigError, parseWith, type EnvSource } from './parse';
export { redactCredentials } from './redact';
export { SecretBox, generateSecretKey, type SealedSecret } from './secret-box';
export { SecretUnreadableError } from './secret-errors';
