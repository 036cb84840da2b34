/** Runs the real `migrate` CLI (from source through tsx, or the built bin/migrate.js) and collects its output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testServer } from '../../scripts/sandbox.ts';

const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
/** tsx resolved from the project, so the CLI can run from any working directory. */
const TSX = import.meta.resolve('tsx');
/** The installed command: bin/migrate.js on dist/ (build it first: test/integration/examples-helpers.ts). */
const BUILT = fileURLToPath(new URL('../../bin/migrate.js', import.meta.url));

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run the built CLI (`node bin/migrate.js`) instead of the sources. */
  built?: boolean;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Connection flags for the test server; the password goes through MYSQL_PWD unless `passwordFlag`. */
export function connectionFlags(database: string): string[] {
  const s = testServer();
  return ['--host', s.host, '--port', String(s.port), '--user', s.user, '--database', database];
}

export function startCli(args: string[], opts: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [...(opts.built ? [BUILT] : ['--import', TSX, CLI]), ...args], {
    cwd: opts.cwd,
    env: { ...process.env, MYSQL_PWD: testServer().password, CI: 'true', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}
