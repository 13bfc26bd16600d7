import { z } from 'zod';
import { ApprovalState, Prisma, toDbWorkload, type Db } from '@syncfleet/db';
import type { Logger } from '@syncfleet/telemetry';
import { WORKLOAD_NAMES, type WorkloadName } from '@syncfleet/workloads';
import { validationError } from './errors';
import { mailboxFilterSchema, mailboxWhere } from './mailbox-filter';
import { disableWorkloads, setApproval, updateSettings, type BatchResult } from './mailbox-ops';
import { mailboxSettingsSchema, type MailboxSettings } from './schemas';
import type { TestAndEnableResult } from './types';

/**
 * Bulk operations: an action over a selection (ids) or a filter, run in the background by the
 * console that accepted it. The selection is snapshotted into BulkOperationItem rows when the
 * operation is created, so progress is `count(state <> 'Pending')` and every mailbox gets its own
 * result. A console that stops mid-way leaves pending items; another console (or the same one
 * restarted) resumes the operation once its heartbeat is stale.
 */

export const BULK_ACTIONS = ['approve', 'reject', 'test-and-enable', 'disable', 'update', 'import'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Ids fit a 64 KiB body; larger selections are sent as a filter. */
export const MAX_BULK_IDS = 1_000;

const selection = {
  ids: z
    .array(z.uuid({ error: 'must be a UUID' }))
    .min(1)
    .max(MAX_BULK_IDS)
    .optional(),
  filter: mailboxFilterSchema.optional(),
};
const oneSelection = (body: { ids?: unknown; filter?: unknown }) =>
  (body.ids === undefined) !== (body.filter === undefined);
const selectionMessage = { message: 'send either "ids" or "filter" (exactly one)', path: ['ids'] };

export const bulkSchema = z.strictObject(selection).refine(oneSelection, selectionMessage);
export const bulkDisableSchema = z
  .strictObject({ ...selection, workloads: z.array(z.enum(WORKLOAD_NAMES)).min(1).optional() })
  .refine(oneSelection, selectionMessage);
export const bulkUpdateSchema = z
  .strictObject({ ...selection, settings: mailboxSettingsSchema })
  .refine(oneSelection, selectionMessage)
  .refine((body) => Object.keys(body.settings).length > 0, {
    message: 'name at least one setting to change',
    path: ['settings'],
  });

export const operationResultsQuery = z.strictObject({
  state: z.enum(['Pending', 'Succeeded', 'Failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export interface ImportParams {
  profileId: string;
  approve: boolean;
  methods: Partial<Record<WorkloadName, 'None' | 'ServerSideSync'>>;
  /** Per new mailbox id: what Graph said about the user. */
  users: Record<
    string,
    { address: string; displayName: string | null; graphUserId: string; shared: boolean }
  >;
}

type BulkParams = { workloads?: WorkloadName[]; settings?: MailboxSettings; import?: ImportParams };

export interface BulkDeps {
  prisma: Db;
  logger: Logger;
  clock: () => Date;
  testAndEnable: (mailboxId: string) => Promise<TestAndEnableResult>;
}

/** How many pending items one round takes; DB-only actions handle a round in one transaction. */
const BATCH = 500;
/** A running operation's heartbeat; one silent for STALE_MS is resumed by any console. */
const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;

export class BulkRunner {
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  private resumeTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly deps: BulkDeps) {}

  /** Snapshots the selection and starts the operation in the background; returns its id. */
  async create(
    action: BulkAction,
    body: { ids?: string[]; filter?: z.output<typeof mailboxFilterSchema> } & BulkParams,
  ) {
    const { prisma, clock } = this.deps;
    const now = clock();
    const params: BulkParams = {};
    if (body.workloads) params.workloads = body.workloads;
    if (body.settings) params.settings = body.settings;
    const id = await prisma.$transaction(async (tx) => {
      const operation = await tx.bulkOperation.create({
        data: { action, total: 0, params: params as Prisma.InputJsonValue, createdAt: now },
      });
      const where = body.ids
        ? Prisma.sql`m."id" = ANY(${body.ids}::uuid[])`
        : mailboxWhere(body.filter ?? {}, now);
      const total = await tx.$executeRaw`
        INSERT INTO "BulkOperationItem" ("operationId", "mailboxId", "address")
        SELECT ${operation.id}::uuid, m."id", m."address" FROM "Mailbox" m WHERE ${where}`;
      if (body.ids && total < new Set(body.ids).size) {
        const found = await tx.bulkOperationItem.findMany({
          where: { operationId: operation.id },
          select: { mailboxId: true },
        });
        const known = new Set(found.map((f) => f.mailboxId));
        const unknown = body.ids.filter((i) => !known.has(i));
        throw validationError([
          { path: 'ids', message: `no mailbox has these ids: ${unknown.slice(0, 10).join(', ')}` },
        ]);
      }
      await tx.bulkOperation.update({
        where: { id: operation.id },
        data: total ? { total } : { total, status: 'Finished', finishedAt: now },
      });
      return operation.id;
    });
    this.start(id);
    return id;
  }

  /** An import from the tenant: one item per user to create, with the mailbox id it will get. */
  async createImport(params: ImportParams): Promise<string> {
    const now = this.deps.clock();
    const entries = Object.entries(params.users);
    const id = await this.deps.prisma.$transaction(async (tx) => {
      const operation = await tx.bulkOperation.create({
        data: {
          action: 'import',
          total: entries.length,
          params: { import: params } as unknown as Prisma.InputJsonValue,
          createdAt: now,
          ...(entries.length ? {} : { status: 'Finished', finishedAt: now }),
        },
      });
      for (let i = 0; i < entries.length; i += 1000)
        await tx.bulkOperationItem.createMany({
          data: entries
            .slice(i, i + 1000)
            .map(([mailboxId, u]) => ({ operationId: operation.id, mailboxId, address: u.address })),
        });
      return operation.id;
    });
    this.start(id);
    return id;
  }

  /** Progress and counts of one operation, or null. */
  async progress(id: string) {
    const operation = await this.deps.prisma.bulkOperation.findUnique({ where: { id } });
    if (!operation) return null;
    const counts = await this.deps.prisma.bulkOperationItem.groupBy({
      by: ['state'],
      where: { operationId: id },
      _count: { _all: true },
    });
    const count = (state: string) => counts.find((c) => c.state === state)?._count._all ?? 0;
    return {
      id: operation.id,
      action: operation.action,
      status: operation.status,
      params: operation.params,
      total: operation.total,
      done: count('Succeeded') + count('Failed'),
      succeeded: count('Succeeded'),
      failed: count('Failed'),
      pending: count('Pending'),
      createdAt: operation.createdAt.toISOString(),
      finishedAt: operation.finishedAt?.toISOString() ?? null,
    };
  }

  /** Resumes operations whose console went silent, now and periodically. */
  resumeStale(): void {
    const sweep = async () => {
      const stale = new Date(this.deps.clock().getTime() - STALE_MS);
      const rows = await this.deps.prisma.bulkOperation.findMany({
        where: { status: 'Running', updatedAt: { lt: stale } },
        select: { id: true },
        take: 20,
      });
      for (const { id } of rows) {
        // Take it over only if nobody else did since we looked (updatedAt moves with the heartbeat).
        const { count } = await this.deps.prisma.bulkOperation.updateMany({
          where: { id, status: 'Running', updatedAt: { lt: stale } },
          data: { status: 'Running' },
        });
        if (count) {
          this.deps.logger.info({ operationId: id }, 'resuming bulk operation');
          this.start(id);
        }
      }
    };
    const loop = () => {
      if (this.stopped) return;
      this.sweeping = sweep()
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'bulk resume sweep failed'))
        .finally(() => {
          if (!this.stopped) this.resumeTimer = setTimeout(loop, STALE_MS).unref();
        });
    };
    loop();
  }

  /** Stops taking new rounds and waits for the running ones (their pending items stay for a resume). */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.resumeTimer);
    await this.sweeping;
    await Promise.allSettled(this.running.values());
  }

  /** Resolves when the operation's background run ends (tests). */
  async settled(id: string): Promise<void> {
    await this.running.get(id);
  }

  private start(id: string): void {
    if (this.running.has(id)) return;
    const run = this.run(id)
      .catch((error: unknown) =>
        this.deps.logger.error({ err: error, operationId: id }, 'bulk operation failed'),
      )
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
  }

  private async run(id: string): Promise<void> {
    const { prisma, clock, logger } = this.deps;
    const operation = await prisma.bulkOperation.findUnique({ where: { id } });
    if (!operation || operation.status !== 'Running') return;
    const params = (operation.params ?? {}) as BulkParams;
    const heartbeat = setInterval(() => {
      void prisma.bulkOperation
        .update({ where: { id }, data: { status: 'Running' } })
        .catch((error: unknown) => logger.warn({ err: error, operationId: id }, 'bulk heartbeat failed'));
    }, HEARTBEAT_MS).unref();
    try {
      while (!this.stopped) {
        const items = await prisma.$queryRaw<
          { mailboxId: string; profileId: string | null; limit: number | null }[]
        >`
          SELECT i."mailboxId", m."profileId", p."maxConcurrentConnections" AS "limit"
          FROM "BulkOperationItem" i
          LEFT JOIN "Mailbox" m ON m."id" = i."mailboxId"
          LEFT JOIN "EmailServerProfile" p ON p."id" = m."profileId"
          WHERE i."operationId" = ${id}::uuid AND i."state" = 'Pending'
          ORDER BY i."address" LIMIT ${BATCH}`;
        if (!items.length) break;
        if (operation.action === 'test-and-enable') await this.testAndEnableBatch(id, items);
        else
          await this.record(
            id,
            await this.databaseBatch(operation.action as BulkAction, params, items),
            operation.action === 'import'
              ? 'Not created: a mailbox with this address or owner exists already.'
              : undefined,
          );
      }
      if (!this.stopped) {
        await prisma.bulkOperation.update({
          where: { id },
          data: { status: 'Finished', finishedAt: clock() },
        });
        logger.info({ operationId: id, action: operation.action }, 'bulk operation finished');
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async databaseBatch(action: BulkAction, params: BulkParams, items: { mailboxId: string }[]) {
    const { prisma, clock } = this.deps;
    const ids = items.map((i) => i.mailboxId);
    switch (action) {
      case 'approve':
        return setApproval(prisma, ids, ApprovalState.Approved, clock());
      case 'reject':
        return setApproval(prisma, ids, ApprovalState.Rejected, clock());
      case 'disable':
        return disableWorkloads(prisma, ids, params.workloads ?? WORKLOAD_NAMES, clock());
      case 'update':
        return updateSettings(prisma, ids, params.settings ?? {});
      case 'import':
        return this.importBatch(ids, params.import!);
      case 'test-and-enable':
        throw new Error('test-and-enable runs per mailbox');
    }
  }

  /**
   * Creates the batch's mailboxes (owner: the Graph user, as a User — a shared mailbox as a Queue,
   * like Dynamics' queue mailboxes), approved if asked, every workload row present and disabled
   * until Test & Enable. An address or owner that exists meanwhile is reported, not an error.
   */
  private async importBatch(ids: string[], params: ImportParams): Promise<BatchResult> {
    const { prisma } = this.deps;
    await prisma.mailbox.createMany({
      data: ids.map((id) => {
        const u = params.users[id]!;
        return {
          id,
          address: u.address,
          displayName: u.displayName,
          ownerType: u.shared ? ('Queue' as const) : ('User' as const),
          ownerId: `graph:${u.graphUserId}`,
          profileId: params.profileId,
          graphUserId: u.graphUserId,
          approvalState: params.approve ? ('Approved' as const) : ('Empty' as const),
        };
      }),
      skipDuplicates: true,
    });
    const created = await prisma.mailbox.findMany({ where: { id: { in: ids } }, select: { id: true } });
    await prisma.mailboxWorkload.createMany({
      data: created.flatMap(({ id }) =>
        WORKLOAD_NAMES.map((name) => ({
          mailboxId: id,
          workload: toDbWorkload(name),
          method: params.methods[name] ?? ('ServerSideSync' as const),
          enabled: false,
        })),
      ),
      skipDuplicates: true,
    });
    const done = new Set(created.map((m) => m.id));
    return { done: [...done], missing: ids.filter((id) => !done.has(id)) };
  }

  private async record(
    id: string,
    batch: BatchResult,
    missingMessage = 'The mailbox no longer exists.',
  ): Promise<void> {
    const now = this.deps.clock();
    await this.deps.prisma.$transaction([
      this.deps.prisma.bulkOperationItem.updateMany({
        where: { operationId: id, mailboxId: { in: batch.done } },
        data: { state: 'Succeeded', finishedAt: now },
      }),
      this.deps.prisma.bulkOperationItem.updateMany({
        where: { operationId: id, mailboxId: { in: batch.missing } },
        data: { state: 'Failed', message: missingMessage, finishedAt: now },
      }),
    ]);
  }

  /**
   * Test & Enable talks to Graph: per profile, at most its Max Concurrent Connections mailboxes at
   * once (each of their requests also takes a fleet-wide slot of that profile, shared with the
   * workers), profiles side by side.
   */
  private async testAndEnableBatch(
    id: string,
    items: { mailboxId: string; profileId: string | null; limit: number | null }[],
  ): Promise<void> {
    const byProfile = new Map<string, typeof items>();
    for (const item of items) {
      const key = item.profileId ?? '';
      byProfile.set(key, [...(byProfile.get(key) ?? []), item]);
    }
    await Promise.all(
      [...byProfile.values()].map(async (group) => {
        const queue = [...group];
        const lanes = Math.max(1, Math.min(group[0]?.limit ?? 1, queue.length));
        await Promise.all(
          Array.from({ length: lanes }, async () => {
            for (let item = queue.shift(); item && !this.stopped; item = queue.shift())
              await this.testOne(id, item.mailboxId, item.profileId !== null);
          }),
        );
      }),
    );
  }

  private async testOne(id: string, mailboxId: string, exists: boolean): Promise<void> {
    let state: 'Succeeded' | 'Failed' = 'Failed';
    let message: string | null = 'The mailbox no longer exists.';
    if (exists) {
      try {
        const result = await this.deps.testAndEnable(mailboxId);
        state = result.ok ? 'Succeeded' : 'Failed';
        const failedCheck = result.checks.find((c) => !c.ok);
        message = result.ok
          ? `Enabled: ${Object.entries(result.workloads)
              .filter(([, s]) => s === 'enabled')
              .map(([w]) => w)
              .join(', ')}`
          : `${failedCheck?.name ?? 'check'}: ${failedCheck?.message ?? failedCheck?.code ?? 'failed'}`;
      } catch (error) {
        message = `Test & Enable could not run: ${error instanceof Error ? error.message : String(error)}`;
        this.deps.logger.warn({ err: error, mailboxId, operationId: id }, 'bulk test and enable failed');
      }
    }
    await this.deps.prisma.bulkOperationItem.update({
      where: { operationId_mailboxId: { operationId: id, mailboxId } },
      data: { state, message: message?.slice(0, 1000) ?? null, finishedAt: this.deps.clock() },
    });
  }
}
