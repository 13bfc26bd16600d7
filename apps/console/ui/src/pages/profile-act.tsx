import { useState } from 'preact/hooks';
import { api, ApiFailure, type Json } from '../api';
import { ErrorNote, Section } from '../ui';

/**
 * A profile's ACT settings (contacts, To Do tasks, appointments): the three policies and the
 * actSettings the engine uses, shown with their effective values (defaults included). Saving
 * PATCHes only what the admin changed — the API merges it into the stored settings — so values
 * left at their default stay defaults (README "Appointments (ACT)", docs/act-sync.md#settings).
 */

const CONFLICT = [
  ['LatestWins', 'the later change wins (Exchange’s last modified time against ours)'],
  ['AppWins', 'the application’s value wins'],
  ['ExchangeWins', 'Exchange’s value wins'],
] as const;
const DELETE = [
  ['Unlink', 'the application record stays, no longer synced'],
  ['Delete', 'the application record is deleted too'],
] as const;
/** From README's "Invitation policy" paragraph. */
const INVITATION = [
  [
    'All',
    'every attendee is written to Exchange: internal and external attendees get a meeting request, an update on each change and a cancellation on delete.',
  ],
  [
    'InternalOnly',
    'only attendees that are synced mailboxes are written to Exchange and invited; external attendees stay in the app and are never sent anything.',
  ],
  ['None', 'the event is written without attendees; Exchange sends nothing to anyone.'],
] as const;
const DIRECTIONS = ['TwoWay', 'ToExchange', 'ToApp', 'None'];
const ENTITIES = [
  ['contact', 'Contacts'],
  ['task', 'To Do tasks'],
  ['appointment', 'Appointments'],
] as const;
/*
 * Selects are uncontrolled: the current value is the option marked `selected` (a select has no
 * defaultValue property, so Preact's defaultValue would be ignored), and a re-render while the admin
 * edits does not reset it.
 */
/** Number inputs: API path, label, bounds (the API's). */
const NUMBERS = [
  ['actSettings.calendarWindow.daysBack', 'Calendar window: days back', 1, 365],
  ['actSettings.calendarWindow.daysAhead', 'Calendar window: days ahead', 1, 730],
  ['actSettings.calendarWindow.slideHours', 'Calendar window slides after (hours)', 1, 168],
  [
    'actSettings.filter.completedWithinDays',
    'Completed tasks go to Exchange if completed within (days)',
    0,
    3650,
  ],
  ['actSettings.pageSize', 'Delta page size (items per Graph page)', 1, 999],
  ['actSettings.maxItemsPerCycle', 'Max items per cycle', 1, 100000],
  ['actSettings.ownershipCheckSec', 'Ownership re-check of an idle mailbox (s)', 0, 86400],
] as const;

const get = (value: Json, path: string): Json =>
  path.split('.').reduce((v: Json, key) => (v == null ? undefined : v[key]), value);
function set(target: Record<string, Json>, path: string, value: unknown) {
  const keys = path.split('.');
  const last = keys.pop() as string;
  let node = target;
  for (const key of keys) node = node[key] ??= {};
  node[last] = value;
}
const categoriesOf = (text: string) =>
  text
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);

export function ActSettingsSection({ profile, onSaved }: { profile: Json; onSaved: () => Promise<void> }) {
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<string[]>([]);
  const p = profile;
  const s = p.actSettings;

  const save = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const body: Record<string, Json> = {};
    const change = (path: string, value: unknown) => {
      const current = get(p, path);
      if (JSON.stringify(current) !== JSON.stringify(value)) set(body, path, value);
    };
    for (const name of ['actConflictPolicy', 'actDeletePolicy', 'actInvitationPolicy'])
      change(name, text(name));
    change('actSettings.appointments', form.get('actSettings.appointments') === 'on');
    change('actSettings.filter.contacts', form.get('actSettings.filter.contacts') === 'on');
    change('actSettings.filter.tasks', form.get('actSettings.filter.tasks') === 'on');
    change('actSettings.filter.categories', categoriesOf(text('actSettings.filter.categories')));
    change('actSettings.taskListName', text('actSettings.taskListName') || null);
    for (const [name] of NUMBERS) change(name, Number(text(name)));
    for (const [entity] of ENTITIES)
      for (const field of Object.keys(s.directions[entity]))
        change(
          `actSettings.directions.${entity}.${field}`,
          text(`actSettings.directions.${entity}.${field}`),
        );
    setError(null);
    setMessage(null);
    setInvalid([]);
    if (!Object.keys(body).length) {
      setMessage('Nothing changed.');
      return;
    }
    try {
      await api(`/api/profiles/${p.id}`, { method: 'PATCH', body });
      setMessage('ACT settings saved.');
      await onSaved();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      if (e instanceof ApiFailure) setInvalid(e.fields.map((f) => f.path));
    }
  };
  const stored = (path: string) => get(p.actSettingsStored, path.replace(/^actSettings\./, '')) !== undefined;
  const hint = (path: string) => (stored(path) ? '' : ' (default)');
  const bad = (path: string) =>
    invalid.some((f) => f === path || f.startsWith(`${path}.`)) ? true : undefined;

  return (
    <Section title="ACT (contacts, tasks, appointments)">
      {/* Keyed by the profile's version: after a save the fields show what is stored. */}
      <form class="settings act-settings" onSubmit={(e) => void save(e)} key={p.updatedAt}>
        <p class="muted">
          Effective values, defaults included. Saving sends only what you changed; the rest keeps following
          the defaults.
        </p>
        <label>
          Conflict policy (a field changed on both sides)
          <select name="actConflictPolicy" aria-invalid={bad('actConflictPolicy')}>
            {CONFLICT.map(([value, text]) => (
              <option value={value} selected={value === p.actConflictPolicy}>
                {value} — {text}
              </option>
            ))}
          </select>
        </label>
        <label>
          Delete policy (an item deleted in Exchange)
          <select name="actDeletePolicy" aria-invalid={bad('actDeletePolicy')}>
            {DELETE.map(([value, text]) => (
              <option value={value} selected={value === p.actDeletePolicy}>
                {value} — {text}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Invitation policy (who Exchange invites to an app meeting)</legend>
          {INVITATION.map(([value, text]) => (
            <label class="choice">
              <input
                type="radio"
                name="actInvitationPolicy"
                value={value}
                defaultChecked={p.actInvitationPolicy === value}
              />
              <span>
                <strong>{value}</strong>: {text}
              </span>
            </label>
          ))}
        </fieldset>
        <label class="choice">
          <input
            type="checkbox"
            name="actSettings.appointments"
            defaultChecked={s.appointments}
            aria-invalid={bad('actSettings.appointments')}
          />
          Sync appointments (calendar){hint('actSettings.appointments')}
        </label>
        <label class="choice">
          <input type="checkbox" name="actSettings.filter.contacts" defaultChecked={s.filter.contacts} />
          Contacts go to Exchange{hint('actSettings.filter.contacts')}
        </label>
        <label class="choice">
          <input type="checkbox" name="actSettings.filter.tasks" defaultChecked={s.filter.tasks} />
          Tasks go to Exchange{hint('actSettings.filter.tasks')}
        </label>
        <label>
          Only records with one of these categories go to Exchange (comma-separated; empty: all)
          <input
            name="actSettings.filter.categories"
            defaultValue={s.filter.categories.join(', ')}
            aria-invalid={bad('actSettings.filter.categories')}
          />
        </label>
        <label>
          To Do list synced (empty: the user's default list; applies at the next Test & Enable)
          <input
            name="actSettings.taskListName"
            defaultValue={s.taskListName ?? ''}
            aria-invalid={bad('actSettings.taskListName')}
          />
        </label>
        {NUMBERS.map(([name, label, min, max]) => (
          <label>
            {label}
            {hint(name)}
            <input
              name={name}
              type="number"
              required
              min={min}
              max={max}
              step={1}
              defaultValue={get(p, name)}
              aria-invalid={bad(name)}
            />
          </label>
        ))}
        <details>
          <summary>Field directions</summary>
          {ENTITIES.map(([entity, title]) => (
            <table class="directions">
              <caption>{title}</caption>
              <tbody>
                {Object.entries(s.directions[entity] as Record<string, string>).map(([field, value]) => {
                  const name = `actSettings.directions.${entity}.${field}`;
                  return (
                    <tr>
                      <th scope="row">{field}</th>
                      <td>
                        <select
                          name={name}
                          aria-label={`${title}: ${field} direction`}
                          aria-invalid={bad(name)}
                        >
                          {DIRECTIONS.map((d) => (
                            <option value={d} selected={d === value}>
                              {d}
                            </option>
                          ))}
                        </select>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ))}
        </details>
        {message && <p role="status">{message}</p>}
        <ErrorNote error={error} />
        <button type="submit">Save ACT settings</button>
      </form>
    </Section>
  );
}
