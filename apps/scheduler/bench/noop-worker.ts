// A plain BullMQ worker that does nothing with its jobs: the reference for what a queue hop costs
// on this machine, run as its own process exactly like a Syncfleet worker (bench/saturation.ts).
import { Worker } from 'bullmq';
import { createRedis } from '@syncfleet/queues';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const worker = new Worker(process.env.BENCH_QUEUE ?? 'noop', async () => 'done', {
  connection: createRedis(url),
  prefix: process.env.QUEUE_PREFIX ?? 'bench-noop',
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50),
});
worker.on('ready', () => console.log('noop worker ready'));
process.on('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
