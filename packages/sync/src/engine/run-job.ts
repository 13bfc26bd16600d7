import type { WorkloadJob } from '@syncfleet/queues';
import { claimCycle, renewClaim } from './claim';
import { finishFailure, finishSuccess } from './finish';
import type { EngineResources, WorkloadHandlers } from './types';
import { classifyError } from './classify';
import { permissionOrMailbox } from './permissions';

export type JobOutcome = 'success' | 'yielded' | 'failure' | 'skipped' | 'lost-claim';

export interface RunJobOptions {
  jobId?: string;
  /** Aborted when the worker shuts down: the cycle saves its progress and yields. */
  shutdown?: AbortSignal;
}

/**
 * Runs one cycle of one (mailbox, workload): claim, run the handler within its budget, record the
 * outcome and the next run. Never throws for a mailbox's own failure — that is recorded and the
 * worker moves on; a failure in one mailbox never stops the others.
 */
export async function runWorkloadJob(
  res: EngineResources,
  handlers: WorkloadHandlers,
  job: WorkloadJob,
  { jobId, shutdown }: RunJobOptions = {},
): Promise<JobOutcome> {
  const logger = res.logger.child({ mailboxId: job.mailboxId, workload: job.workload, jobId });
  const handler = handlers[job.workload];
  const claimed = await claimCycle(res, job.mailboxId, job.workload, handler);
  if (!claimed) {
    logger.debug('not claimable (not due, disabled, or running elsewhere): skipped');
    return 'skipped';
  }
  const { claim, mailbox, incomingEnabled } = claimed;
  const startedAt = claim.startedAt;
  const budget = new AbortController();
  const deadline = startedAt.getTime() + res.settings.cycleBudgetMs;
  const budgetTimer = setTimeout(
    () => budget.abort(new Error('cycle budget spent')),
    res.settings.cycleBudgetMs,
  );
  let lost = false;
  const renewTimer = setInterval(
    () => {
      renewClaim(res, claim)
        .then((held) => {
          if (!held) {
            lost = true;
            budget.abort(new Error('claim lost'));
          }
        })
        .catch((error: unknown) => logger.warn({ err: error }, 'claim renewal failed'));
    },
    Math.max(200, Math.floor(res.settings.claimLeaseMs / 3)),
  );
  // One signal for the cycle: its budget, a lost claim, or the worker shutting down.
  const onShutdown = () => budget.abort(shutdown?.reason);
  if (shutdown?.aborted) onShutdown();
  else shutdown?.addEventListener('abort', onShutdown, { once: true });
  const signal = budget.signal;

  try {
    try {
      const graph = await res.graph.forMailbox(
        mailbox.profile,
        { id: mailbox.id, address: mailbox.address },
        signal,
      );
      const result = await handler.run({
        mailbox,
        workload: job.workload,
        graph,
        prisma: res.prisma,
        logger,
        clock: res.clock,
        signal,
        deadline,
        checkpoint: claim.row.checkpoint,
        preloaded: claimed.preloaded,
      });
      const stored = await finishSuccess(
        res,
        claim,
        mailbox,
        result,
        { startedAt, finishedAt: res.clock(), jobId },
        incomingEnabled,
      );
      if (!stored) return 'lost-claim';
      // An idle cycle is the common case (thousands a minute): worth a line only at debug level.
      const busy = result.itemsProcessed > 0 || result.itemsFailed > 0 || !!result.yielded;
      logger[busy ? 'info' : 'debug'](
        { itemsProcessed: result.itemsProcessed, itemsFailed: result.itemsFailed, yielded: !!result.yielded },
        'cycle done',
      );
      return result.yielded ? 'yielded' : 'success';
    } catch (error) {
      if (lost) return 'lost-claim';
      if (signal.aborted) {
        // Budget spent or the worker is shutting down mid-request: not the mailbox's failure. The
        // handler saved its progress page by page; the cycle yields and runs again right away.
        logger.info({ reason: String(signal.reason) }, 'cycle interrupted: yielding');
        const timing = { startedAt, finishedAt: res.clock(), jobId };
        const stored = await finishSuccess(
          res,
          claim,
          mailbox,
          { itemsProcessed: 0, itemsFailed: 0, yielded: true },
          timing,
          incomingEnabled,
        );
        return stored ? 'yielded' : 'lost-claim';
      }
      const syncError = await permissionOrMailbox(res, mailbox, job.workload, classifyError(error));
      logger.warn(
        {
          reason: syncError.reason,
          code: syncError.code,
          kind: syncError.kind,
          scope: syncError.scope,
          err: syncError.message,
        },
        'cycle failed',
      );
      await finishFailure(res, claim, mailbox, syncError, { startedAt, finishedAt: res.clock(), jobId });
      return 'failure';
    }
  } finally {
    clearTimeout(budgetTimer);
    clearInterval(renewTimer);
    shutdown?.removeEventListener('abort', onShutdown);
  }
}
