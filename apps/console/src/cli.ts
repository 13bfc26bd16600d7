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
}).then((code) => {
  process.exitCode = code;
});
