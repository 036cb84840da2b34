/** Helpers for tests of the control endpoint: `migrate ctl` through the built CLI, polling, a slow copy. */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli.ts';

export interface CtlAnswer {
  ok: boolean;
  command?: string;
  message: string;
  value?: number | string | boolean;
  code?: string;
  error?: string;
  status?: CtlStatus;
}

export interface CtlStatus {
  table: string | null;
  phase: string;
  rowsCopied: number;
  rowsEstimate: number;
  chunkSize: number | null;
  copyWorkers: number | null;
  throttled: string | null;
  cutover: string;
  settings: Record<string, number | string | boolean>;
  endpoints: { socket?: string; port?: number };
}

/** `migrate ctl --socket S --json COMMAND` with the built CLI: the endpoint's answer and the exit code. */
export async function ctl(socket: string, command: string): Promise<CtlAnswer & { exit: number | null; stderr: string }> {
  const r = await runCli(['ctl', '--socket', socket, '--json', command], { built: true });
  const line = r.stdout.trim();
  if (line === '') return { ok: false, message: r.stderr.trim(), exit: r.code, stderr: r.stderr };
  return { ...(JSON.parse(line) as CtlAnswer), exit: r.code, stderr: r.stderr };
}

/** The status document, or undefined while the endpoint does not answer (not open yet, or closed). */
export async function status(socket: string): Promise<CtlStatus | undefined> {
  const a = await ctl(socket, 'status');
  return a.ok ? a.status : undefined;
}

/** Polls until `ok` holds, or fails naming `what`. */
export async function waitFor(ok: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${typeof what === 'string' ? what : what()}`);
    await sleep(100);
  }
}

/** Polls the status until `ok` holds for it; returns that status. */
export async function waitForStatus(socket: string, ok: (s: CtlStatus) => boolean, what: string, timeoutMs = 60_000): Promise<CtlStatus> {
  let last: CtlStatus | undefined;
  await waitFor(async () => {
    last = await status(socket);
    return last !== undefined && ok(last);
  }, () => `${what} (last status: ${JSON.stringify(last)})`, timeoutMs);
  return last!;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A folder with a migrate.config.mjs whose plugin sleeps `ms` before every chunk, so that a copy
 * of a few ten thousand rows lasts long enough to be steered; the socket goes in the same folder.
 */
export async function slowCopyDir(ms = 100): Promise<{ dir: string; config: string; socket: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-ctl-'));
  await writeFile(join(dir, 'slow.mjs'), `export default { name: 'slow', async beforeChunk() { await new Promise((r) => setTimeout(r, ${ms})); } };\n`);
  const config = join(dir, 'migrate.config.mjs');
  await writeFile(config, `export default { plugins: ['./slow.mjs'] };\n`);
  return { dir, config, socket: join(dir, 'control.sock') };
}
