export { classifyGraphError, parseRetryAfter } from './errors';
export * from './clients';
export { createTokenProvider, GRAPH_SCOPE, type AppCredentials, type TokenProvider } from './token-provider';
export { FleetTransport, type MailboxRoute, type TransportHooks } from './transport';
export { createDispatcher, fetchWith } from './tls';
export * from './endpoints';
export { rolesOfToken } from './roles';
