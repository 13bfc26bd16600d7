import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { ApiError } from './errors';

/**
 * Bounds the memory that large request bodies can take at once. Fastify buffers a JSON body fully
 * and then parses it (the text and the object both live until the handler is done), so N concurrent
 * uploads cost about N × 3 × their size. Each request on a large-body route reserves its declared
 * Content-Length (or the route's limit when the length is unknown) from a per-process budget before
 * its body is read; a request that does not fit gets 429 with Retry-After instead of being buffered.
 */
export class UploadBudget {
  private inFlight = 0;

  constructor(readonly budgetBytes: number) {}

  get used(): number {
    return this.inFlight;
  }

  /** An onRequest hook for a route whose body may be up to `bodyLimit` bytes. */
  hook(bodyLimit: number): onRequestHookHandler {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const declared = Number(request.headers['content-length']);
      const bytes = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, bodyLimit) : bodyLimit;
      if (bytes === 0) return;
      if (this.inFlight + bytes > this.budgetBytes) {
        reply.header('Retry-After', '1');
        throw new ApiError(
          429,
          'UploadBudgetExhausted',
          `Too many large uploads at once (${Math.round(this.inFlight / 1024)} KiB in flight); retry shortly.`,
        );
      }
      this.inFlight += bytes;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.inFlight -= bytes;
      };
      // The response's 'close' fires once it is finished or the client went away, whichever is first.
      reply.raw.once('close', release);
    };
  }
}
