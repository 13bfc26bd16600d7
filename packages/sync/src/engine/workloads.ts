import { Workload } from '@syncfleet/db';
import type { WorkloadName } from '@syncfleet/queues';

const TO_DB: Record<WorkloadName, Workload> = {
  'incoming-email': Workload.IncomingEmail,
  'outgoing-email': Workload.OutgoingEmail,
  act: Workload.Act,
};
const FROM_DB = Object.fromEntries(Object.entries(TO_DB).map(([k, v]) => [v, k])) as Record<
  Workload,
  WorkloadName
>;

export const toDbWorkload = (name: WorkloadName): Workload => TO_DB[name];
export const fromDbWorkload = (workload: Workload): WorkloadName => FROM_DB[workload];
