import type { TestDatabase } from '@syncfleet/testing';
import type { EngineResources } from '../engine/types';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { runCycle, snapshot, syncUntilIdle } from './test-support';

let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;

const harness = useEngineHarness('incoming', { mailboxes: 12 });
beforeAll(() => {
  ({ db, fx, res } = harness);
});

const mb = (i: number) => fx.mailboxes[i]!;
const inbound = (i: number, message: Parameters<FleetFixture['sim']['admin']['inbound']>[1]) =>
  fx.sim.admin.inbound(mb(i).simId, message);
const emailByImid = (internetMessageId: string) =>
  db.prisma.emailActivity.findUnique({
    where: { internetMessageId },
    include: { parties: true, links: true },
  });

describe('incoming email cycle', () => {
  it('promotes Inbox mail with parties matched to contacts (any address, any case), then idles at one request', async () => {
    const contact = await db.prisma.contact.create({
      data: {
        fullName: 'Ann Buyer',
        emails: { create: [{ address: 'ann@fabrikam.test' }, { address: 'ann.buyer@fabrikam.test' }] },
      },
    });
    for (let n = 0; n < 16; n++) {
      await inbound(0, {
        from: n % 2 ? 'ANN.Buyer@Fabrikam.test' : `stranger${n}@example.test`,
        to: [mb(0).address],
        cc: ['Ann@FABRIKAM.test'],
        subject: `hello ${n}`,
        body: `body ${n}`,
        internetMessageId: `<basic-${n}@example.test>`,
      });
    }
    const results = await syncUntilIdle(res, mb(0).id);
    expect(results.at(-1)).toEqual({ itemsProcessed: 16, itemsFailed: 0, yielded: false });
    const email = await emailByImid('<basic-1@example.test>');
    expect(email).toMatchObject({
      direction: 'Incoming',
      status: 'Received',
      subject: 'hello 1',
      bodyText: 'body 1',
    });
    const from = email!.parties.find((p) => p.role === 'From')!;
    expect(from).toMatchObject({ address: 'ann.buyer@fabrikam.test', contactId: contact.id });
    expect(email!.parties.find((p) => p.role === 'Cc')).toMatchObject({ contactId: contact.id });
    expect(email!.parties.find((p) => p.role === 'To')).toMatchObject({ contactId: null });
    expect(email!.links).toEqual([
      expect.objectContaining({ mailboxId: mb(0).id, folderId: 'inbox', removedInExchange: false }),
    ]);
    const folder = await db.prisma.mailboxFolderSync.findUniqueOrThrow({
      where: { mailboxId_folderId: { mailboxId: mb(0).id, folderId: 'inbox' } },
    });
    expect(folder.nextLink).toBeNull();
    expect(folder.deltaLink).toContain('$deltatoken=');
    // Each promoted email is on the application change sequence once (GET /api/changes).
    const promoted = await db.prisma.emailActivity.findMany({ where: { ownerMailboxId: mb(0).id } });
    const changes = await db.prisma.appChange.findMany({ where: { kind: 'email', mailboxId: mb(0).id } });
    expect(changes.map((c) => c.recordId).sort()).toEqual(promoted.map((e) => e.id).sort());
    expect(changes.every((c) => c.operation === 'create' && c.source === 'exchange')).toBe(true);

    const before = await snapshot(db.prisma);
    const m0 = await fx.sim.admin.metrics();
    expect(await runCycle(res, mb(0).id)).toEqual({ itemsProcessed: 0, itemsFailed: 0, yielded: false });
    const m1 = await fx.sim.admin.metrics();
    expect((m1.byMailbox[mb(0).simId] ?? 0) - (m0.byMailbox[mb(0).simId] ?? 0)).toBe(1);
    expect(await snapshot(db.prisma)).toEqual(before);
  });

  it('bounds a cycle by INCOMING_MAX_ITEMS_PER_CYCLE, yields, and continues where it stopped', async () => {
    for (let n = 0; n < 30; n++) {
      await inbound(1, {
        from: 'bulk@example.test',
        subject: `bulk ${n}`,
        body: 'x',
        internetMessageId: `<bulk-${n}@x>`,
      });
    }
    const first = await runCycle(res, mb(1).id, { maxItemsPerCycle: 10 });
    expect(first).toMatchObject({ yielded: true });
    expect(first.itemsProcessed).toBeGreaterThanOrEqual(10);
    expect(first.itemsProcessed).toBeLessThan(30);
    const rest = await syncUntilIdle(res, mb(1).id, { maxItemsPerCycle: 10 });
    const total = first.itemsProcessed + rest.reduce((s, r) => s + r.itemsProcessed, 0);
    expect(total).toBe(30);
    expect(await db.prisma.mailboxItemLink.count({ where: { mailboxId: mb(1).id } })).toBe(30);
  });

  it('correlates by In-Reply-To, tracking token, conversation and (when on) smart matching; inherits regarding', async () => {
    const app = await db.prisma.emailActivity.create({
      data: {
        direction: 'Outgoing',
        status: 'Sent',
        subject: 'Quote 17 CRM:0001017',
        internetMessageId: '<app-17@contoso.test>',
        trackingToken: 'CRM:0001017',
        conversationId: 'conv-app-17',
        regardingType: 'opportunity',
        regardingId: 'opp-17',
        ownerMailboxId: mb(2).id,
      },
    });
    await db.prisma.mailbox.update({
      where: { id: mb(2).id },
      data: { incomingFilter: 'ResponsesToAppEmail' },
    });
    await inbound(2, {
      from: 'c@x.test',
      subject: 'RE: Quote 17',
      body: '',
      internetMessageId: '<r1@x>',
      inReplyTo: '<app-17@contoso.test>',
    });
    await inbound(2, {
      from: 'c@x.test',
      subject: 'RE: re: Quote 17 CRM:0001017',
      body: '',
      internetMessageId: '<r2@x>',
    });
    await inbound(2, {
      from: 'c@x.test',
      subject: 'later',
      body: '',
      internetMessageId: '<r3@x>',
      conversationId: 'conv-app-17',
    });
    await inbound(2, {
      from: 'd@x.test',
      subject: 'thread',
      body: '',
      internetMessageId: '<r4@x>',
      inReplyTo: '<r1@x>',
      references: '<app-17@contoso.test> <r1@x>',
    });
    await inbound(2, { from: 'e@x.test', subject: 'unrelated', body: '', internetMessageId: '<r5@x>' });
    await syncUntilIdle(res, mb(2).id);
    for (const id of ['<r1@x>', '<r2@x>', '<r3@x>', '<r4@x>']) {
      expect(await emailByImid(id)).toMatchObject({ regardingType: 'opportunity', regardingId: 'opp-17' });
    }
    expect((await emailByImid('<r2@x>'))!.trackingToken).toBe('CRM:0001017');
    expect(await emailByImid('<r5@x>')).toBeNull();
    expect(app.id).toBeDefined();

    // Smart matching: only when switched on (subject words + addresses, prefixes stripped).
    await db.prisma.emailActivity.create({
      data: {
        direction: 'Outgoing',
        status: 'Sent',
        subject: 'Pricing for 2027',
        internetMessageId: '<app-sm@contoso.test>',
        smartMatchHash: null,
        regardingType: 'account',
        regardingId: 'acc-9',
      },
    });
    const { smartMatchHash } = await import('./correlation');
    const hash = smartMatchHash(
      {
        subject: 'Pricing for 2027',
        from: { address: mb(3).address, name: null },
        to: [{ address: 'f@x.test', name: null }],
        cc: [],
      } as never,
      'CRM',
    );
    await db.prisma.emailActivity.update({
      where: { internetMessageId: '<app-sm@contoso.test>' },
      data: { smartMatchHash: hash },
    });
    await db.prisma.mailbox.update({
      where: { id: mb(3).id },
      data: { incomingFilter: 'ResponsesToAppEmail' },
    });
    await inbound(3, {
      from: 'f@x.test',
      to: [mb(3).address],
      subject: 'AW: FW: pricing FOR 2027',
      body: '',
      internetMessageId: '<sm1@x>',
    });
    await syncUntilIdle(res, mb(3).id);
    expect(await emailByImid('<sm1@x>')).toBeNull();
    await inbound(3, {
      from: 'f@x.test',
      to: [mb(3).address],
      subject: 'RE: Pricing for 2027',
      body: '',
      internetMessageId: '<sm2@x>',
    });
    await syncUntilIdle(res, mb(3).id, { smartMatching: true });
    expect(await emailByImid('<sm2@x>')).toMatchObject({ regardingType: 'account', regardingId: 'acc-9' });
  });

  it('applies each filter mode: All, ResponsesToAppEmail, FromKnownContacts, None', async () => {
    await db.prisma.contact.create({
      data: { fullName: 'Known', emails: { create: [{ address: 'known@x.test' }] } },
    });
    await db.prisma.emailActivity.create({
      data: {
        direction: 'Outgoing',
        status: 'Sent',
        subject: 'ask',
        internetMessageId: '<app-f@contoso.test>',
      },
    });
    const modes = ['All', 'ResponsesToAppEmail', 'FromKnownContacts', 'None'] as const;
    for (const [k, mode] of modes.entries()) {
      const i = 4 + k;
      await db.prisma.mailbox.update({ where: { id: mb(i).id }, data: { incomingFilter: mode } });
      await inbound(i, {
        from: 'Known@X.test',
        subject: 'a',
        body: '',
        internetMessageId: `<f-${mode}-known@x>`,
      });
      await inbound(i, {
        from: 'other@x.test',
        subject: 'b',
        body: '',
        internetMessageId: `<f-${mode}-reply@x>`,
        inReplyTo: '<app-f@contoso.test>',
      });
      await inbound(i, {
        from: 'other@x.test',
        subject: 'c',
        body: '',
        internetMessageId: `<f-${mode}-none@x>`,
      });
      const results = await syncUntilIdle(res, mb(i).id);
      expect(results.reduce((s, r) => s + r.itemsProcessed, 0)).toBe(3);
    }
    const promoted = async (mode: string) =>
      (
        await db.prisma.emailActivity.findMany({
          where: { internetMessageId: { startsWith: `<f-${mode}-` } },
          orderBy: { internetMessageId: 'asc' },
        })
      ).map((e) => e.internetMessageId!.replace(`<f-${mode}-`, '').replace('@x>', ''));
    expect(await promoted('All')).toEqual(['known', 'none', 'reply']);
    expect(await promoted('ResponsesToAppEmail')).toEqual(['reply']);
    expect(await promoted('FromKnownContacts')).toEqual(['known']);
    expect(await promoted('None')).toEqual([]);
  });
});
