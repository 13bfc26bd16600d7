import type { EmailServerProfile } from '@syncfleet/db';
import { defaultDirections, FIELDS, type ActKind, type Direction } from './fields';

/**
 * ACT settings of a profile (EmailServerProfile.actSettings JSON, plus its conflict and delete
 * policy columns). Unknown or malformed entries fall back to the defaults: a typo in one field's
 * direction never stops a mailbox (docs/act-sync.md).
 */
export interface ActSettings {
  conflictPolicy: EmailServerProfile['actConflictPolicy'];
  deletePolicy: EmailServerProfile['actDeletePolicy'];
  directions: Record<ActKind, Record<string, Direction>>;
  filter: {
    /** Only records carrying one of these categories go to Exchange (empty: all). */
    categories: string[];
    /** Completed tasks go to Exchange only if completed within this many days. */
    completedWithinDays: number;
    /** Which entities go to Exchange at all. */
    contacts: boolean;
    tasks: boolean;
  };
  /** The To Do list synced: its display name; null = the user's default list. */
  taskListName: string | null;
  /** How often an idle mailbox re-reads its ownership marker (a cycle that writes always does). */
  ownershipCheckSec: number;
  pageSize: number;
  maxItemsPerCycle: number;
}

const DIRECTIONS = new Set<Direction>(['TwoWay', 'ToExchange', 'ToApp', 'None']);

export function actSettingsOf(
  profile: Pick<EmailServerProfile, 'actConflictPolicy' | 'actDeletePolicy' | 'actSettings'>,
): ActSettings {
  const raw = (
    profile.actSettings && typeof profile.actSettings === 'object' ? profile.actSettings : {}
  ) as Record<string, unknown>;
  const directions = {
    contact: defaultDirections('contact'),
    task: defaultDirections('task'),
  };
  const given = (raw.directions ?? {}) as Record<string, Record<string, unknown>>;
  for (const kind of ['contact', 'task'] as const) {
    for (const [field, dir] of Object.entries(given[kind] ?? {})) {
      if (FIELDS[kind].includes(field) && DIRECTIONS.has(dir as Direction)) {
        directions[kind][field] = dir as Direction;
      }
    }
  }
  const filter = (raw.filter ?? {}) as Record<string, unknown>;
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : d);
  return {
    conflictPolicy: profile.actConflictPolicy,
    deletePolicy: profile.actDeletePolicy,
    directions,
    filter: {
      categories: Array.isArray(filter.categories)
        ? filter.categories.filter((c): c is string => typeof c === 'string')
        : [],
      completedWithinDays: num(filter.completedWithinDays, 30),
      contacts: filter.contacts !== false,
      tasks: filter.tasks !== false,
    },
    taskListName: typeof raw.taskListName === 'string' && raw.taskListName ? raw.taskListName : null,
    ownershipCheckSec: num(raw.ownershipCheckSec, 900),
    pageSize: Math.max(1, Math.min(999, num(raw.pageSize, 100))),
    maxItemsPerCycle: Math.max(1, num(raw.maxItemsPerCycle, 2_000)),
  };
}

/** Fields a value may be written to Exchange for / taken from Exchange for. */
export const toExchange = (d: Direction) => d === 'TwoWay' || d === 'ToExchange';
export const toApp = (d: Direction) => d === 'TwoWay' || d === 'ToApp';
