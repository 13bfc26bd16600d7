import { table } from './cli-format';

/**
 * `profiles show <id>` and `profiles set <id>`: a profile's settings, ACT's included, through
 * GET / PATCH /api/profiles/{id}. The API validates; the CLI only maps flags to the body (as
 * `mailboxes set` does) and fails early on what it cannot map (not JSON, on/off misspelt).
 */

export const PROFILE_SET_FLAGS = [
  'act-conflict-policy',
  'act-delete-policy',
  'act-invitation-policy',
  'act-appointments',
  'act-settings',
] as const;

export const PROFILE_USAGE = `  profiles show <id>      settings, ACT's effective values included (* = set on the profile)
  profiles set <id> [--name N] [--max-connections N] [--min-polling-sec N] [--timeout-sec N]
                    [--owner-email E|none] [--act-conflict-policy LatestWins|AppWins|ExchangeWins]
                    [--act-delete-policy Unlink|Delete] [--act-invitation-policy All|InternalOnly|None]
                    [--act-appointments on|off|default] [--act-settings JSON]
                    --act-settings is merged into the stored settings: only the keys it names
                    change, null resets one (e.g. '{"calendarWindow":{"daysAhead":90}}')`;

type Values = Record<string, string | boolean | undefined>;
type Profile = Record<string, unknown> & {
  actSettings: Record<string, unknown>;
  actSettingsStored: Record<string, unknown>;
};

export class ProfileFlagError extends Error {}

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The PATCH body from the flags. */
export function profilePatchOf(values: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const number = (flag: string, field: string) => {
    const text = str(values[flag]);
    if (text !== undefined) body[field] = Number(text);
  };
  if (str(values.name) !== undefined) body.name = values.name;
  number('max-connections', 'maxConcurrentConnections');
  number('min-polling-sec', 'minPollingIntervalSec');
  number('timeout-sec', 'connectionTimeoutSec');
  const owner = str(values['owner-email']);
  if (owner !== undefined) body.ownerEmail = owner === 'none' ? null : owner;
  for (const [flag, field] of [
    ['act-conflict-policy', 'actConflictPolicy'],
    ['act-delete-policy', 'actDeletePolicy'],
    ['act-invitation-policy', 'actInvitationPolicy'],
  ] as const)
    if (str(values[flag]) !== undefined) body[field] = values[flag];

  let settings: Record<string, unknown> | undefined;
  const json = str(values['act-settings']);
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new ProfileFlagError(`--act-settings is not JSON (${(error as Error).message}).`);
    }
    if (!isObject(parsed)) throw new ProfileFlagError('--act-settings must be a JSON object.');
    settings = parsed;
  }
  const appointments = str(values['act-appointments']);
  if (appointments !== undefined) {
    const value = { on: true, off: false, default: null }[appointments];
    if (value === undefined) throw new ProfileFlagError('--act-appointments takes on, off or default.');
    settings = { ...settings, appointments: value };
  }
  if (settings) body.actSettings = settings;
  if (!Object.keys(body).length)
    throw new ProfileFlagError(`profiles set: nothing to change.\n${PROFILE_USAGE}`);
  return body;
}

/** `key.path` → value rows of a nested object (arrays as comma lists). */
function flatten(value: unknown, prefix = '', rows: [string, unknown][] = []): [string, unknown][] {
  if (isObject(value))
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, rows);
  else rows.push([prefix, Array.isArray(value) ? value.join(',') || '(none)' : value]);
  return rows;
}

const storedAt = (stored: unknown, path: string) =>
  path.split('.').reduce<unknown>((v, key) => (isObject(v) ? v[key] : undefined), stored) !== undefined;

/** The profile as text: its settings, then ACT's policies and effective settings. */
export function renderProfile(profile: Profile): string {
  const general = table(
    [profile],
    ['id', 'name', 'tenantId', 'clientId', 'maxConcurrentConnections', 'minPollingIntervalSec', 'ownerEmail'],
  );
  const rows: Record<string, unknown>[] = [
    { setting: 'actConflictPolicy', value: profile.actConflictPolicy, set: '' },
    { setting: 'actDeletePolicy', value: profile.actDeletePolicy, set: '' },
    { setting: 'actInvitationPolicy', value: profile.actInvitationPolicy, set: '' },
  ];
  const { directions, ...rest } = profile.actSettings;
  const flat = flatten(rest, 'actSettings').concat(
    // Directions: only the fields that differ from TwoWay, the rest said once.
    flatten(directions, 'actSettings.directions').filter(([, v]) => v !== 'TwoWay'),
  );
  for (const [path, value] of flat)
    rows.push({
      setting: path,
      value,
      set: storedAt(profile.actSettingsStored, path.replace(/^actSettings\./, '')) ? '*' : '',
    });
  return `${general}\nACT (contacts, tasks, appointments):\n${table(rows, ['setting', 'value', 'set'])}(every other field direction: TwoWay)\n`;
}
