import path from 'node:path';
import { startSimulator } from './index';

// The simulator's own entry point: the only place that reads process.env.
async function main(): Promise<void> {
  const env = process.env;
  const sim = await startSimulator({
    port: Number(env.SIM_PORT ?? 4443),
    host: env.SIM_HOST ?? '127.0.0.1',
    dataDir: env.SIM_DATA_DIR,
    adminKey: env.SIM_ADMIN_KEY || undefined,
    seed: env.SIM_SEED === '' ? undefined : (env.SIM_SEED ?? path.join(__dirname, '../seeds/demo.json')),
    trafficRate: Number(env.SIM_TRAFFIC_RATE ?? 0),
    config: env.SIM_ALLOW_HTTP_NOTIFICATIONS === 'true' ? { allowHttpNotificationUrls: true } : undefined,
    log: (line) => console.log(line),
  });
  console.log(`Graph simulator listening on ${sim.url}`);
  console.log(`  Graph base URL : ${sim.graphBaseUrl}`);
  console.log(`  CA certificate : ${sim.caPath}  (trust it, e.g. NODE_EXTRA_CA_CERTS=${sim.caPath})`);
  console.log(`  Admin key      : ${sim.adminKey}  (header x-sim-admin-key)`);
  // Machine-readable line for scripts (bench, start.ts).
  console.log(`SIM_READY ${JSON.stringify({ url: sim.url, caPath: sim.caPath, adminKey: sim.adminKey })}`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: closing the Graph simulator`);
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
