/**
 * How Sluice is started: the compiled CLI (dist/cli/main.js, built by `npm run build` at the start
 * of the bench, so tsx's transpiling is not measured), or the sources through tsx when there is
 * no build. Also the parsing of its `--json` event lines.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServerInfo } from '../scripts/sandbox.ts';
import { SCHEMA } from './dataset.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const SRC_MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

export interface SluiceCli {
  /** Node arguments before Sluice's own flags. */
  entry: string[];
  /** 'dist' (compiled) or 'tsx' (sources). */
  kind: 'dist' | 'tsx';
  /** What happened to the build, for the report. */
  note: string;
}

export function prepareSluiceCli(build: boolean, log: (s: string) => void): SluiceCli {
  let note = 'compiled CLI (dist/, built by the bench)';
  if (build) {
    log('building dist/ (npm run build)…');
    const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) {
      const first = `${r.stdout}${r.stderr}`.split('\n').find((l) => l.includes('error')) ?? `exit ${r.status}`;
      log(`warning: npm run build reported errors (${first.trim()}); tsc emitted anyway`);
      note = `compiled CLI (dist/; the build reported type errors: ${first.trim().slice(0, 120)})`;
    }
  } else {
    note = 'compiled CLI (existing dist/, not rebuilt)';
  }
  if (existsSync(DIST_MAIN)) return { entry: [DIST_MAIN], kind: 'dist', note };
  log('warning: no dist/cli/main.js: running the sources through tsx (its transpiling is then part of the time)');
  return { entry: ['--import', 'tsx', SRC_MAIN], kind: 'tsx', note: 'sources through tsx (no build)' };
}

export interface SluiceArgs {
  server: ServerInfo;
  statement: string;
  threads?: number;
  deferCutover?: boolean;
  config?: string;
  cpuProfDir?: string;
  /** File name of the profile in cpuProfDir. */
  cpuProfName?: string;
  /** Extra migrate flags, appended last. */
  extra?: readonly string[];
}

/** The node arguments and environment of one `migrate --json` run. */
export function sluiceCommand(cli: SluiceCli, a: SluiceArgs): { args: string[]; env: NodeJS.ProcessEnv } {
  const args = [
    ...(a.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', a.cpuProfDir, ...(a.cpuProfName ? ['--cpu-prof-name', a.cpuProfName] : [])] : []),
    ...cli.entry,
    '--json', '--host', a.server.host, '--port', String(a.server.port), '--user', a.server.user,
    '--database', SCHEMA, '--statement', a.statement, '--no-native',
    ...(a.threads ? ['--threads', String(a.threads)] : []),
    ...(a.deferCutover ? ['--defer-cutover'] : []),
    ...(a.config ? ['--config', a.config] : []),
    ...(a.extra ?? []),
  ];
  return { args, env: { ...process.env, MYSQL_PWD: a.server.password } };
}

/** What the `--json` lines of one run said. */
export class SluiceEvents {
  readonly phases = new Map<string, { start?: number; end?: number }>();
  lockMs: number | undefined;
  /** When the first event arrived and when `done` did (epoch ms, as seen by the bench). */
  firstAt: number | undefined;
  doneAt: number | undefined;
  durationMs: number | undefined;
  failed: string | undefined;
  done = false;
  /** Latest progress snapshot and when it arrived. */
  progress: { at: number; replayedEvents: number; binlog: { file: string; position: number } | null } | undefined;
  readonly listeners = new Set<() => void>();

  feed(text: string, at: number): void {
    if (!text.startsWith('{')) return;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    this.firstAt ??= at;
    if (e.type === 'phase') {
      const p = this.phases.get(e.phase as string) ?? {};
      p[e.state === 'start' ? 'start' : 'end'] = e.at as number;
      this.phases.set(e.phase as string, p);
    } else if (e.type === 'progress') {
      const s = e.snapshot as { replayedEvents: number; binlog: { file: string; position: number } | null };
      this.progress = { at, replayedEvents: s.replayedEvents, binlog: s.binlog };
    } else if (e.type === 'done') {
      const r = e.result as { durationMs: number; cutover: { lockMs: number } | null };
      this.done = true;
      this.doneAt = at;
      this.durationMs = r.durationMs;
      this.lockMs = r.cutover?.lockMs;
    } else if (e.type === 'failed') {
      this.failed = `${e.code ?? ''} ${e.error as string}`.trim();
    }
    for (const l of this.listeners) l();
  }

  /** ms per phase, plus 'startup' (spawn to first event) and 'exit' (done to process exit). */
  breakdown(spawnedAt: number, exitedAt: number): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.firstAt !== undefined) out.startup = this.firstAt - spawnedAt;
    for (const name of this.phases.keys()) {
      const ms = this.phaseMs(name);
      if (ms !== undefined) out[name] = ms;
    }
    if (this.doneAt !== undefined) out.exit = exitedAt - this.doneAt;
    return out;
  }

  phaseMs(name: string): number | undefined {
    const p = this.phases.get(name);
    return p?.start !== undefined && p.end !== undefined ? p.end - p.start : undefined;
  }
}
