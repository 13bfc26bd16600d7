import {
  WORKLOAD_DEFINITIONS,
  WORKLOAD_NAMES,
  type WorkloadDbEnum,
  type WorkloadName,
} from '@syncfleet/workloads';
import type { Workload } from './generated/prisma/client';

// The `Workload` enum of prisma/schema.prisma must hold exactly the defined workloads: a workload
// defined without its enum value (or the reverse) fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const enumMatchesDefinitions: Same<WorkloadDbEnum, Workload> = true;
void enumMatchesDefinitions;

const FROM_DB = Object.fromEntries(
  WORKLOAD_NAMES.map((name) => [WORKLOAD_DEFINITIONS[name].dbEnum, name]),
) as Record<Workload, WorkloadName>;

/** Prisma's enum member of a workload (its database label is the workload's name). */
export const toDbWorkload = (name: WorkloadName): Workload => WORKLOAD_DEFINITIONS[name].dbEnum;
export const fromDbWorkload = (workload: Workload): WorkloadName => FROM_DB[workload];
