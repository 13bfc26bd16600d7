export * from './env';
export { ConfigError, parseWith, type EnvSource } from './parse';
export { SecretBox, generateSecretKey, type SealedSecret } from './secret-box';
