import type { ServerOptions } from 'node:https';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  notificationCollectionSchema,
  type NotificationCollection,
  type Receiver,
  type ReceiverCounters,
} from '@syncfleet/sync';
import type { Logger } from '@syncfleet/telemetry';

export interface ReceiverAppOptions {
  receiver: Receiver;
  counters: ReceiverCounters;
  logger: Logger;
  bodyLimitBytes: number;
  /** HTTPS key and certificate; without them HTTP (behind a TLS-terminating Ingress). */
  tls?: Pick<ServerOptions, 'key' | 'cert'>;
  /** Answer within this time whatever happens (Graph wants a 2xx within 3 s). */
  answerWithinMs?: number;
}

/** The longest validationToken echoed (Graph's are about 100 characters). */
const MAX_VALIDATION_TOKEN = 1024;

/**
 * The webhook receiver: the only role Microsoft must reach, so it has no admin routes. Endpoints
 * (change-notifications-delivery-webhooks; change-notifications-lifecycle-events):
 * - `POST /notifications?validationToken=…` and `POST /lifecycle?validationToken=…`: the validation
 *   handshake — 200 `text/plain` with the decoded token, answered before the body is even read;
 * - `POST /notifications`, `POST /lifecycle`: a changeNotificationCollection, checked (known
 *   subscription, clientState in constant time) and only enqueued — 202, or 403 when every
 *   notification in it was rejected; 5xx when it could not be enqueued, so Graph retries;
 * - `GET /healthz`.
 */
export async function buildReceiverApp(options: ReceiverAppOptions): Promise<FastifyInstance> {
  const { counters } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes,
    ...(options.tls ? { https: options.tls } : {}),
  }) as unknown as FastifyInstance;
  const answerWithinMs = options.answerWithinMs ?? 2_500;

  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST') return;
    const token = (req.query as Record<string, unknown>).validationToken;
    if (token === undefined) return;
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_VALIDATION_TOKEN) {
      return reply.code(400).type('text/plain; charset=utf-8').send('invalid validationToken');
    }
    counters.validations++;
    return reply
      .code(200)
      .header('x-content-type-options', 'nosniff')
      .type('text/plain; charset=utf-8')
      .send(token);
  });

  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode === 413) counters.oversized++;
    else if (reply.statusCode === 400 && req.method === 'POST') counters.malformed++;
  });

  app.setErrorHandler((error: { statusCode?: number; message: string }, _req, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 503;
    if (status >= 500) {
      counters.failures++;
      options.logger.warn({ err: error }, 'webhook receiver: could not enqueue a notification POST');
    }
    return reply.code(status).send({ error: status >= 500 ? 'temporarily unavailable' : error.message });
  });

  /** Enqueues within the deadline or answers 503 (Graph then retries, documented). */
  const within = async <T>(work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('enqueue deadline passed'), { statusCode: 503 })),
        answerWithinMs,
      );
    });
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };

  const schema = { body: notificationCollectionSchema };
  for (const [path, handle] of [
    ['/notifications', (b: NotificationCollection) => options.receiver.notifications(b)],
    ['/lifecycle', (b: NotificationCollection) => options.receiver.lifecycle(b)],
  ] as const) {
    app.post(path, { schema }, async (req, reply) => {
      const result = await within(handle(req.body as NotificationCollection));
      if (result.unknown || result.rejected) {
        options.logger.warn(
          {
            path,
            unknown: result.unknown,
            rejected: result.rejected,
            unknownSubscription: counters.unknownSubscription,
            clientStateMismatch: counters.clientStateMismatch,
          },
          'webhook receiver: notifications for unknown subscriptions ignored, clientState mismatches rejected',
        );
      }
      return reply
        .code(result.status)
        .send(result.status === 403 ? { error: 'clientState mismatch: notification rejected' } : {});
    });
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  return app;
}
