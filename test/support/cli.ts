/**
 * Runs the real `migrate` CLI (from source through tsx, or the built bin/migrate.js) and collects its
 * output. Every run is checked for leaked passwords: the test server's, MYSQL_PWD, a --password value,
 * the password of any DSN among the arguments, and any `secrets` a test names. `done` rejects if one appears.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { testServer } from '../../scripts/sandbox.ts';

const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
/** tsx resolved from the project, so the CLI can run from any working directory. */
const TSX = import.meta.resolve('tsx');
/** The installed command: bin/migrate.js on dist/ (build it first: test/integration/examples-helpers.ts). */
const BUILT = fileURLToPath(new URL('../../bin/migrate.js', import.meta.url));


export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** More strings that must never appear in the output (e.g. the password inside a malformed DSN). */
  secrets?: string[];
  /** Run the built CLI (`node bin/migrate.js`) instead of the sources. */
  built?: boolean;
}

/** Connection flags for the test server; the password goes through MYSQL_PWD unless `passwordFlag`. */
export function connectionFlags(database: string): string[] {
  const s = testServer();
  return ['--host', s.host, '--port', String(s.port), '--user', s.user, '--database', database];
}

/** Every password this run could leak. */
export function secretsOf(args: readonly string[], env: NodeJS.ProcessEnv, extra: readonly string[] = []): string[] {
  const found = [testServer().password, env.MYSQL_PWD ?? '', ...extra];
  args.forEach((arg, i) => {
    if (arg === '--password' && args[i + 1]) found.push(args[i + 1]!);
    for (const m of arg.matchAll(/[a-z]+:\/\/[^:@/\s]*:([^@/\s]+)@/gi)) found.push(decodeURIComponent(m[1]!));
  });
  return [...new Set(found.filter((s) => s.length >= 4))];
}

/** Throws (without printing it) when a secret appears in the output. */
export function assertNoSecrets(output: Record<string, string>, secrets: readonly string[]): void {
  for (const [where, text] of Object.entries(output)) {
    secrets.forEach((secret, i) => {
      if (!text.includes(secret)) return;
      const line = text.split('\n').find((l) => l.includes(secret))!.split(secret).join('<SECRET>');
      throw new Error(`password #${i + 1} of this CLI run appeared in its ${where}: ${line}`);
    });
  }
}

export function startCli(args: string[], opts: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const env = { ...process.env, MYSQL_PWD: testServer().password, CI: 'true', ...opts.env };
  const child = spawn(process.execPath, [...(opts.built ? [BUILT] : ['--import', TSX, CLI]), ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const secrets = secretsOf(args, env, opts.secrets);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('close', (code, signal) => {
      try {
        assertNoSecrets({ stdout, stderr }, secrets);
        resolve({ code, signal, stdout, stderr });
      } catch (err) {
        reject(err);
      }
    });
  });
  return { child, done };
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

export interface TerminalRun {
  /** Everything the terminal showed so far (stdout and stderr together, escape codes removed). */
  output(): string;
  /** Types Ctrl-C on the terminal (the terminal, not us, turns it into SIGINT). */
  ctrlC(): void;
  /** Closes the terminal if the CLI still runs (it gets SIGHUP): a failed test never leaves it behind. */
  kill(): void;
  done: Promise<{ code: number | null; output: string }>;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI on a real pseudo-terminal (util-linux `script`), 120 columns wide, not in CI mode:
 * the ora spinner shows, as for a person at a terminal.
 */
export function startCliInTerminal(args: string[], opts: CliOptions = {}): TerminalRun {
  const env: NodeJS.ProcessEnv = { ...process.env, MYSQL_PWD: testServer().password, TERM: 'xterm-256color', ...opts.env };
  delete env.CI;
  const command = `stty cols 120 rows 40; exec ${[process.execPath, '--import', TSX, CLI, ...args].map(shellQuote).join(' ')}`;
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const secrets = secretsOf(args, env, opts.secrets);
  const done = new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        assertNoSecrets({ terminal: output }, secrets);
        resolve({ code, output: stripVTControlCharacters(output) });
      } catch (err) {
        reject(err);
      }
    });
  });
  return { output: () => stripVTControlCharacters(output), ctrlC: () => { child.stdin!.write('\x03'); },
    kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
    done,
  };
}
