export { buildReceiverApp, type ReceiverAppOptions } from './app';
