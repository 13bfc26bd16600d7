import { SingleBar } from 'cli-progress';
import { runCli } from './cli-commands';

/**
 * `npm run syncfleet -- <command>`: a small CLI over the console's HTTP API. Its configuration is
 * CLI-specific (not a service's), so it reads its two variables here rather than via parseConsoleEnv.
 */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('client secret (end with Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

void runCli(process.argv.slice(2), {
  baseUrl: process.env.SYNCFLEET_CONSOLE_URL ?? 'http://127.0.0.1:3000',
  token: process.env.SYNCFLEET_ADMIN_TOKEN,
  readStdin,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  // cli-progress draws on stderr (a terminal), so stdout stays the summary table or --json.
  progress: (total, label) => {
    const bar = new SingleBar({
      format: `${label.padEnd(16)} [{bar}] {percentage}% | {value}/{total} | {succeeded} ok, {failed} failed | ETA {eta}s`,
      stream: process.stderr,
      hideCursor: true,
    });
    bar.start(total, 0, { succeeded: 0, failed: 0 });
    return {
      update: (done, counts) => bar.update(done, counts),
      stop: () => bar.stop(),
    };
  },
}).then((code) => {
  process.exitCode = code;
});
