/** Finds a hook's executables in the hooks directory and runs them one at a time, bounded (see README.md). */
import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { oneLine } from '../../plugin-api.ts';
import { HookFailedError } from './errors.ts';

const KILL_GRACE_MS = 5000;
const OUTPUT_KEPT = 4000;

/** The executables of the directory whose names start with `hook`, in name order. */
export function hookFiles(dir: string, hook: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => name.startsWith(hook)).sort().map((name) => join(dir, name)).filter((path) => {
    try {
      if (!statSync(path).isFile()) return false;
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface RunOptions {
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
  /** Values no hook may see: any inherited variable holding one is left out (and MYSQL_PWD always). */
  readonly secrets: readonly string[];
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** Runs every executable of `hook`, in order; the first failure throws HookFailedError (the rest do not run). */
export async function runHook(hook: string, opts: RunOptions): Promise<number> {
  const files = hookFiles(opts.dir, hook);
  for (const file of files) await runOne(file, opts);
  return files.length;
}

/** The process's environment without the password, plus the hook's variables. */
function hookEnv(opts: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'MYSQL_PWD' || v === undefined || opts.secrets.some((s) => s !== '' && v.includes(s))) continue;
    env[k] = v;
  }
  return { ...env, ...opts.env };
}

function runOne(file: string, opts: RunOptions): Promise<void> {
  opts.signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    // Its own process group, so a timeout or Ctrl-C stops what the hook started too (`sh -c 'sleep 60'`).
    const child = spawn(file, [], { cwd: opts.dir, env: hookEnv(opts), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // the group is gone already
      }
    };
    let output = '';
    const keep = (d: Buffer) => { output = (output + d.toString()).slice(-OUTPUT_KEPT); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let why: 'timeout' | 'aborted' | undefined;
    const stop = (reason: 'timeout' | 'aborted') => {
      why ??= reason;
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onAbort = () => stop('aborted');
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const done = (err?: Error) => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    child.on('error', (err) => done(new HookFailedError(`hook ${file} could not start: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (why === 'aborted') return done(opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
      if (code === 0 && !why) return done();
      const what = why === 'timeout' ? `did not finish within ${Math.round(opts.timeoutMs / 1000)} s` : signal ? `was killed by ${signal}` : `exited ${code}`;
      const said = oneLine(output.trim(), 300);
      done(new HookFailedError(`hook ${file} ${what}${said ? `: ${said}` : ' (no output)'}`));
    });
  });
}
