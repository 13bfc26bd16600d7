import type { WorkloadName } from '@syncfleet/workloads';

/**
 * What the fleet subscribes to for a workload ("Change notifications for Outlook resources in
 * Microsoft Graph": messages in a folder, events, personal contacts). Incoming email: the Inbox and
 * each tracked folder. ACT: events and contacts; To Do tasks have no change notifications with
 * application permissions (subscription: reauthorize, permissions table: todoTask "Not supported"),
 * so tasks stay polled. Outgoing email needs none: the fleet itself creates the work (an email
 * created through the API queues that mailbox's outgoing cycle at once). The resource paths
 * themselves are built in SQL (manager.ts, DESIRED).
 */
export const PUSH_WORKLOADS = ['incoming-email', 'act'] as const satisfies readonly WorkloadName[];
export type PushWorkload = (typeof PUSH_WORKLOADS)[number];

export function isPushWorkload(workload: string): workload is PushWorkload {
  return (PUSH_WORKLOADS as readonly string[]).includes(workload);
}
