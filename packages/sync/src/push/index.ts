export { clientStateMatches, newClientState } from './client-state';
export { refreshHealth, type WorkloadKey } from './health';
export { clearPushHealth, startSubscriptionLoop } from './loop';
export {
  createSubscriptionManager,
  type PassResult,
  type SubscriptionManager,
  type SubscriptionManagerSettings,
} from './manager';
export {
  createReceiver,
  createReceiverCounters,
  notificationCollectionSchema,
  type ChangeNotification,
  type NotificationCollection,
  type Receiver,
  type ReceiverCounters,
  type ReceiveResult,
} from './receive';
export { PUSH_WORKLOADS, isPushWorkload } from './resources';
