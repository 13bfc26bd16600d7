import type { Prisma } from '@syncfleet/db';
import { defaultDirections, type Fields } from './fields';
import { mergeFields, type MergeInput } from './merge';
import { passesFilter } from './push';
import { actSettingsOf } from './settings';
import type { AppRecord } from './store';

const t = (s: string) => new Date(`2030-01-01T00:00:${s}Z`);
const task = (over: Fields): Fields => ({
  subject: 'Call',
  body: null,
  status: 'NotStarted',
  importance: 'Normal',
  startAt: null,
  dueAt: null,
  reminderAt: null,
  categories: [],
  completedAt: null,
  ...over,
});

function merge(over: Partial<MergeInput>) {
  return mergeFields({
    kind: 'task',
    app: task({}),
    exchange: task({}),
    base: task({}),
    directions: defaultDirections('task'),
    policy: 'LatestWins',
    appChangedAt: t('10'),
    exchangeChangedAt: t('20'),
    ...over,
  });
}

describe('per-field merge', () => {
  test('direction map: ToApp takes Exchange, ToExchange keeps the app, None leaves the app alone', () => {
    const directions = {
      ...defaultDirections('task'),
      subject: 'ToApp',
      body: 'ToExchange',
      importance: 'None',
    } as const;
    const { merged, conflicts } = merge({
      app: task({ subject: 'app', body: 'app body', importance: 'High' }),
      exchange: task({ subject: 'ex', body: 'ex body', importance: 'Low' }),
      directions,
    });
    expect(merged).toMatchObject({ subject: 'ex', body: 'app body', importance: 'High' });
    expect(conflicts).toEqual([]);
  });

  test.each([
    ['LatestWins', 'exchange', 'ex'],
    ['AppWins', 'app', 'app'],
    ['ExchangeWins', 'exchange', 'ex'],
  ] as const)('the same field changed on both sides: %s → %s wins', (policy, winner, value) => {
    const { merged, conflicts } = merge({
      app: task({ subject: 'app', categories: ['A'] }),
      exchange: task({ subject: 'ex', importance: 'High' }),
      policy,
    });
    expect(merged).toMatchObject({ subject: value, categories: ['A'], importance: 'High' });
    expect(conflicts).toEqual([
      { field: 'subject', appValue: 'app', exchangeValue: 'ex', winner, rule: policy },
    ]);
  });

  test('LatestWins compares whole seconds; a tie goes to the app', () => {
    const { merged } = merge({
      app: task({ subject: 'app' }),
      exchange: task({ subject: 'ex' }),
      appChangedAt: new Date('2030-01-01T00:00:10.900Z'),
      exchangeChangedAt: new Date('2030-01-01T00:00:10.000Z'),
    });
    expect(merged.subject).toBe('app');
  });

  test('a completed task stays completed unless the reopening edit is explicit and newer, whatever the policy', () => {
    const done = task({ status: 'Completed', completedAt: '2030-01-01T00:00:05.000Z' });
    // Exchange did not touch the status: no say in it, even under ExchangeWins.
    expect(
      merge({ app: done, exchange: task({ subject: 'renamed' }), policy: 'ExchangeWins' }).merged,
    ).toMatchObject({
      status: 'Completed',
      subject: 'renamed',
      completedAt: '2030-01-01T00:00:05.000Z',
    });
    // Both edited the status: an older reopen loses (CompletedStays) even under ExchangeWins.
    const older = merge({
      app: done,
      exchange: task({ status: 'InProgress' }),
      base: task({ status: 'WaitingOnOthers' }),
      policy: 'ExchangeWins',
      appStatusChangedAt: t('30'),
      exchangeChangedAt: t('20'),
    });
    expect(older.merged.status).toBe('Completed');
    expect(older.conflicts[0]).toMatchObject({ field: 'status', winner: 'app', rule: 'CompletedStays' });
    // A newer explicit reopen wins even under AppWins, and clears completedAt.
    const newer = merge({
      app: done,
      exchange: task({ status: 'InProgress' }),
      base: task({ status: 'WaitingOnOthers' }),
      policy: 'AppWins',
      appStatusChangedAt: t('10'),
      exchangeChangedAt: t('40'),
    });
    expect(newer.merged).toMatchObject({ status: 'InProgress', completedAt: null });
    expect(newer.conflicts[0]).toMatchObject({ winner: 'exchange', rule: 'CompletedStays' });
  });
});

describe('sync filter', () => {
  const record = (over: Partial<AppRecord>): AppRecord => ({
    id: 'r',
    version: 1,
    updatedAt: new Date(),
    deletedAt: null,
    pushPending: true,
    categories: [],
    fields: {},
    ...over,
  });
  const now = new Date('2030-02-01T00:00:00Z');
  const settings = (filter: Record<string, unknown>) =>
    actSettingsOf({
      actConflictPolicy: 'LatestWins',
      actDeletePolicy: 'Unlink',
      actSettings: { filter } as unknown as Prisma.JsonObject,
    });

  test('defaults: every contact, open tasks and tasks completed within 30 days', () => {
    const s = settings({});
    expect(passesFilter('contact', record({}), s, now)).toBe(true);
    expect(passesFilter('task', record({ status: 'InProgress' }), s, now)).toBe(true);
    expect(
      passesFilter('task', record({ status: 'Completed', completedAt: new Date('2030-01-20') }), s, now),
    ).toBe(true);
    expect(
      passesFilter('task', record({ status: 'Completed', completedAt: new Date('2029-12-01') }), s, now),
    ).toBe(false);
  });

  test('by category, completion age and entity', () => {
    const s = settings({ categories: ['CRM'], completedWithinDays: 0, tasks: false });
    expect(passesFilter('contact', record({ categories: ['CRM'] }), s, now)).toBe(true);
    expect(passesFilter('contact', record({ categories: ['Private'] }), s, now)).toBe(false);
    expect(passesFilter('task', record({ categories: ['CRM'] }), s, now)).toBe(false);
  });
});
