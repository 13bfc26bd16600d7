import type { TestDatabase } from '@syncfleet/testing';
import type { EngineResources } from '../engine/types';
import { useEngineHarness } from '../testing/engine-harness';
import type { FleetFixture } from '../testing/fleet-fixture';
import { runCycle, snapshot, syncUntilIdle } from './test-support';

let db: TestDatabase;
let fx: FleetFixture;
let res: EngineResources;

const harness = useEngineHarness('incomingres', { mailboxes: 12 });
beforeAll(() => {
  ({ db, fx, res } = harness);
});

const mb = (i: number) => fx.mailboxes[i]!;
const inbound = (i: number, message: Parameters<FleetFixture['sim']['admin']['inbound']>[1]) =>
  fx.sim.admin.inbound(mb(i).simId, message);
const emailByImid = (internetMessageId: string) =>
  db.prisma.emailActivity.findUnique({
    where: { internetMessageId },
    include: { links: true, attachments: { orderBy: { name: 'asc' } } },
  });

describe('incoming email: dedupe, deletions, resync, folders, attachments, bad items', () => {
  it('makes ONE activity of a message received by 3 mailboxes synced concurrently, one link each', async () => {
    const to = [mb(0).address, mb(1).address, mb(2).address];
    for (let n = 0; n < 40; n++) {
      const internetMessageId = `<shared-${n}@partner.test>`;
      for (const i of [0, 1, 2])
        await inbound(i, { from: 'p@partner.test', to, subject: `s${n}`, body: 'b', internetMessageId });
    }
    await Promise.all([0, 1, 2].map((i) => syncUntilIdle(res, mb(i).id)));
    const emails = await db.prisma.emailActivity.findMany({
      where: { internetMessageId: { startsWith: '<shared-' } },
      include: { links: true, parties: true },
    });
    expect(emails).toHaveLength(40);
    for (const e of emails) {
      expect(e.links.map((l) => l.mailboxId).sort()).toEqual([mb(0).id, mb(1).id, mb(2).id].sort());
      expect(e.parties).toHaveLength(4); // From + 3 To: written once, by whichever worker won
    }
  });

  it('links, never re-promotes, mail the app sent (x-syncfleet-id header or its internetMessageId)', async () => {
    const sent = await db.prisma.emailActivity.create({
      data: {
        direction: 'Outgoing',
        status: 'Sent',
        subject: 'ours',
        internetMessageId: '<ours-1@contoso.test>',
        ownerMailboxId: mb(3).id,
      },
    });
    const sending = await db.prisma.emailActivity.create({
      data: { direction: 'Outgoing', status: 'Sending', subject: 'ours 2', ownerMailboxId: mb(3).id },
    });
    await inbound(3, {
      from: mb(3).address,
      subject: 'ours',
      body: '',
      internetMessageId: '<ours-1@contoso.test>',
    });
    await inbound(3, {
      from: mb(3).address,
      subject: 'ours 2',
      body: '',
      internetMessageId: '<ours-2@contoso.test>',
      headers: { 'x-syncfleet-id': sending.id },
    });
    await inbound(3, {
      from: mb(3).address,
      subject: 'gone',
      body: '',
      internetMessageId: '<ours-3@contoso.test>',
      headers: { 'x-syncfleet-id': '00000000-0000-4000-8000-000000000000' },
    });
    await syncUntilIdle(res, mb(3).id);
    expect(await db.prisma.emailActivity.count({ where: { subject: { startsWith: 'ours' } } })).toBe(2);
    expect(await emailByImid('<ours-3@contoso.test>')).toBeNull();
    const links = await db.prisma.mailboxItemLink.findMany({ where: { mailboxId: mb(3).id } });
    expect(links.map((l) => l.emailId).sort()).toEqual([sent.id, sending.id].sort());
    expect(await db.prisma.emailActivity.findUniqueOrThrow({ where: { id: sent.id } })).toMatchObject({
      direction: 'Outgoing',
      status: 'Sent',
    });
  });

  it('marks @removed links removed in Exchange and keeps the application data', async () => {
    const a = await inbound(4, {
      from: 'x@x.test',
      subject: 'del',
      body: 'keep me',
      internetMessageId: '<del-1@x>',
    });
    await inbound(4, { from: 'x@x.test', subject: 'stay', body: '', internetMessageId: '<del-2@x>' });
    await syncUntilIdle(res, mb(4).id);
    await fx.sim.admin.deleteMessage(mb(4).simId, a.id);
    await syncUntilIdle(res, mb(4).id);
    expect(await emailByImid('<del-1@x>')).toMatchObject({
      bodyText: 'keep me',
      links: [expect.objectContaining({ removedInExchange: true })],
    });
    expect((await emailByImid('<del-2@x>'))!.links[0]!.removedInExchange).toBe(false);
  });

  it('410 SyncStateNotFound: new round from Process Email From, zero duplicates, zero losses', async () => {
    const from = new Date('2026-01-01T00:00:00Z');
    await db.prisma.mailbox.update({ where: { id: mb(5).id }, data: { processEmailFrom: from } });
    await inbound(5, {
      from: 'o@x.test',
      subject: 'old',
      body: '',
      internetMessageId: '<r410-old@x>',
      receivedDateTime: '2025-12-31T23:59:59Z',
    });
    for (let n = 0; n < 20; n++) {
      await inbound(5, {
        from: 'o@x.test',
        subject: `n${n}`,
        body: '',
        internetMessageId: `<r410-${n}@x>`,
        receivedDateTime: '2026-02-01T00:00:00Z',
      });
    }
    // A first round stopped mid-way, then every delta state of the mailbox is evicted.
    expect(await runCycle(res, mb(5).id, { maxItemsPerCycle: 5 })).toMatchObject({ yielded: true });
    await fx.sim.admin.evictDelta(mb(5).simId);
    await inbound(5, {
      from: 'o@x.test',
      subject: 'during',
      body: '',
      internetMessageId: '<r410-during@x>',
      receivedDateTime: '2026-02-02T00:00:00Z',
    });
    await syncUntilIdle(res, mb(5).id);
    const before = await snapshot(db.prisma);
    // And once more with a completed round: the deltaLink itself is gone.
    await fx.sim.admin.evictDelta(mb(5).simId);
    const again = await syncUntilIdle(res, mb(5).id);
    expect(again.reduce((s, r) => s + r.itemsFailed, 0)).toBe(0);
    expect(await snapshot(db.prisma)).toEqual(before);
    const ids = (
      await db.prisma.emailActivity.findMany({ where: { internetMessageId: { startsWith: '<r410-' } } })
    ).map((e) => e.internetMessageId);
    expect(ids.sort()).toEqual(
      [...Array.from({ length: 20 }, (_, n) => `<r410-${n}@x>`), '<r410-during@x>'].sort(),
    );
    const metrics = await fx.sim.admin.metrics();
    expect(metrics.byStatus['410'] ?? 0).toBeGreaterThanOrEqual(2);
  });

  it('folder tracking: mail dragged into a tracked folder is promoted whatever the filter; the link follows it', async () => {
    const mailbox = await db.prisma.mailbox.update({
      where: { id: mb(6).id },
      data: { incomingFilter: 'None' },
      include: { profile: true },
    });
    const graph = await res.graph.forMailbox(
      mailbox.profile,
      { id: mailbox.id, address: mailbox.address },
      new AbortController().signal,
    );
    const folder = (await graph
      .api(`/users/${encodeURIComponent(mailbox.graphUserId!)}/mailFolders`)
      .post({ displayName: 'Projects' })) as { id: string };
    const untracked = (await graph
      .api(`/users/${encodeURIComponent(mailbox.graphUserId!)}/mailFolders`)
      .post({ displayName: 'Other' })) as { id: string };
    await db.prisma.mailboxFolderSync.create({
      data: { mailboxId: mb(6).id, folderId: folder.id, displayName: 'Projects', tracked: true },
    });
    const a = await inbound(6, {
      from: 'x@x.test',
      subject: 'drag me',
      body: '',
      internetMessageId: '<ft-1@x>',
    });
    const b = await inbound(6, {
      from: 'x@x.test',
      subject: 'elsewhere',
      body: '',
      internetMessageId: '<ft-2@x>',
    });
    await syncUntilIdle(res, mb(6).id);
    expect(
      await db.prisma.emailActivity.count({ where: { internetMessageId: { startsWith: '<ft-' } } }),
    ).toBe(0);
    await fx.sim.admin.moveMessage(mb(6).simId, a.id, folder.id);
    await fx.sim.admin.moveMessage(mb(6).simId, b.id, untracked.id);
    await syncUntilIdle(res, mb(6).id);
    expect(await emailByImid('<ft-1@x>')).toMatchObject({
      links: [expect.objectContaining({ folderId: folder.id, removedInExchange: false })],
    });
    expect(await emailByImid('<ft-2@x>')).toBeNull();
  });

  it('stores attachments up to ATTACHMENT_MAX_BYTES; a larger one is metadata only with an Information alert', async () => {
    const small = Buffer.alloc(1000, 1);
    const big = Buffer.alloc(5000, 2);
    await inbound(7, {
      from: 'x@x.test',
      subject: 'files',
      body: '',
      internetMessageId: '<att-1@x>',
      attachments: [
        {
          name: 'a-small.bin',
          contentType: 'application/octet-stream',
          contentBytes: small.toString('base64'),
        },
        { name: 'b-big.bin', contentType: 'application/octet-stream', contentBytes: big.toString('base64') },
      ],
    });
    await syncUntilIdle(res, mb(7).id, { attachmentMaxBytes: 4096 });
    const email = await emailByImid('<att-1@x>');
    expect(email!.attachments).toEqual([
      expect.objectContaining({ name: 'a-small.bin', size: 1000, skipped: false }),
      expect.objectContaining({ name: 'b-big.bin', size: 5000, skipped: true, content: null }),
    ]);
    expect(Buffer.from(email!.attachments[0]!.content!).equals(small)).toBe(true);
    const alerts = await db.prisma.alert.findMany({ where: { mailboxId: mb(7).id } });
    expect(alerts).toEqual([expect.objectContaining({ severity: 'Information', code: 'AttachmentSkipped' })]);
    expect(alerts[0]!.message).toContain('b-big.bin');
  });

  it('a malformed item fails alone, with an alert; the rest of the page is promoted', async () => {
    const bad = await inbound(8, {
      from: 'x@x.test',
      subject: 'bad',
      body: '',
      internetMessageId: '<bad-1@x>',
    });
    const bad2 = await inbound(8, {
      from: 'x@x.test',
      subject: 'bad date',
      body: '',
      internetMessageId: '<bad-2@x>',
    });
    for (let n = 0; n < 5; n++)
      await inbound(8, { from: 'x@x.test', subject: `ok${n}`, body: '', internetMessageId: `<ok-${n}@x>` });
    await fx.sim.admin.updateMessage(mb(8).simId, bad.id, { internetMessageId: null });
    await fx.sim.admin.updateMessage(mb(8).simId, bad2.id, { receivedDateTime: 'yesterday-ish' });
    const results = await syncUntilIdle(res, mb(8).id);
    expect(results.reduce((s, r) => s + r.itemsFailed, 0)).toBe(2);
    expect(results.reduce((s, r) => s + r.itemsProcessed, 0)).toBe(5);
    expect(
      await db.prisma.emailActivity.count({ where: { internetMessageId: { startsWith: '<ok-' } } }),
    ).toBe(5);
    const alerts = await db.prisma.alert.findMany({
      where: { mailboxId: mb(8).id, code: 'IncomingItemMalformed' },
    });
    expect(alerts).toHaveLength(2);
    expect(alerts.map((a) => a.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('internetMessageId is missing'),
        expect.stringContaining('receivedDateTime is not a date'),
      ]),
    );
  });
});
