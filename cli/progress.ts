/**
 * How a run is shown: ora's spinner on a terminal (only when it reports a width: ora spins forever
 * on a 0-column TTY) with a progress bar and two status lines, phase changes and warnings as
 * persistent lines above it; plain timestamped lines when piped or in CI (a status line at a
 * steady interval, no control characters); JSON lines with --json (cli/event-schema.ts).
 * Everything goes through the migration's events, which are already redacted.
 */
import ora, { type Ora } from 'ora';
import type { MigrationEvent, MigrationResult } from '../mod.ts';

type ProgressEvent = Extract<MigrationEvent, { type: 'progress' }>;
type StepEvent = Extract<MigrationEvent, { type: 'step' }>;

export interface Reporter {
  onEvent(event: MigrationEvent): void;
  /** The final summary of a successful run (what `done` says, and the checksum's count). */
  summary(result: MigrationResult): string;
  succeed(line: string): void;
  fail(line: string): void;
  /** A line from the CLI itself (e.g. what a signal does), on stderr, also with --json and --quiet. */
  note(line: string): void;
}

export interface ReporterOptions {
  json: boolean;
  quiet: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Plain mode: a status line at most this often (read at each event: the config sets it; default 5 s). */
  plainIntervalMs?: () => number;
}

export const PLAIN_INTERVAL_MS = 5000;

const n = (x: number) => x.toLocaleString('en-US');

/** 42s, 3m 05s, 1h 02m. */
export function formatSeconds(total: number): string {
  const s = Math.max(0, Math.round(total));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function bar(percent: number | null, width = 20): string {
  const filled = percent === null ? 0 : Math.round((percent / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

const pct = (p: number | null) => (p === null ? '?%' : `${p}%`);
const eta = (s: number | null) => `ETA ${s === null ? 'unknown' : formatSeconds(s)}`;
const rate = (r: number | null, unit: string) => (r === null ? `? ${unit}/s` : `${n(r)} ${unit}/s`);

/** The copy: rows copied of the estimate, rate, ETA. */
export function describeCopy(e: ProgressEvent): string {
  const s = e.snapshot;
  const copyDone = s.lowWatermark === 'done';
  const of = s.rowsEstimate > 0 && !copyDone ? ` of ~${n(s.rowsEstimate)} (estimated)` : '';
  const skipped = s.rowsSkipped > 0 ? `, ${n(s.rowsSkipped)} already there` : '';
  const resumed = s.rowsResumed > 0 ? `, ${n(s.rowsResumed)} by earlier runs` : '';
  const parts = [`${n(s.rowsCopied)} rows copied${of}${skipped || resumed ? ` (${n(s.rowsWritten)} written${skipped}${resumed})` : ''}`];
  if (!copyDone) parts.push(rate(e.rowsPerSecond, 'rows'), eta(e.etaSeconds));
  return parts.join(' · ');
}

/** Replay, throttling and time: the second status line. */
export function describeState(e: ProgressEvent): string {
  const s = e.snapshot;
  const lag = e.replayLagSeconds === null ? 'replay lag unknown' : `replay lag ${e.replayLagSeconds} s`;
  return [
    `${lag} behind the binlog head`, `${n(e.pendingKeys)} keys pending`, `${n(s.replayedEvents)} row events replayed`,
    s.throttled ? `throttled: ${s.throttled}` : 'not throttled', `elapsed ${formatSeconds(e.elapsedMs / 1000)}`,
  ].join(' · ');
}

export function describeStep(e: StepEvent): string {
  const parts = [`${e.step} ${pct(e.percent)}`, `${n(e.done)} of ${e.finished ? '' : '~'}${n(e.total)} ${e.unit} checked`];
  if (!e.finished) parts.push(rate(e.perSecond, e.unit), eta(e.etaSeconds));
  return parts.join(' · ');
}

/** One plain line with every fact: phase and percent, the copy (or the step), replay, throttling, time. */
export function describeProgress(e: ProgressEvent, step?: StepEvent): string {
  const head = `${e.snapshot.phase} ${pct(e.snapshot.lowWatermark === 'done' ? 100 : e.percent)}`;
  return [head, describeCopy(e), ...(step && !step.finished ? [describeStep(step)] : []), describeState(e)].join(' · ');
}

/** The last word of a successful run: time per phase, rows, chunks, replay, the cutover's lock, the old table. */
export function summarize(r: MigrationResult, checkedRows?: number): string {
  const warned = r.warnings.length > 0 ? `, with ${r.warnings.length} warning(s): ${r.warnings.join('; ')}` : '';
  if (r.mode === 'dry-run') return `dry run of ${r.schema}.${r.table} done in ${r.durationMs} ms: nothing was changed${warned}`;
  if (r.mode === 'native') return `${r.schema}.${r.table} altered in place by the server in ${r.durationMs} ms${warned}`;
  const detail = [`${n(r.rowsWritten)} written`];
  if (r.rowsSkipped > 0) detail.push(`${n(r.rowsSkipped)} already in the shadow table (written by replay or an interrupted run)`);
  if (r.rowsResumed > 0) detail.push(`${n(r.rowsResumed)} by earlier runs`);
  const lines = [
    `${r.schema}.${r.table} migrated: ${n(r.rowsCopied)} rows copied (${r.resumed ? 'resumed; ' : ''}${detail.join(', ')}), ` +
      `writes blocked ${r.cutover?.lockMs ?? 0} ms at cutover, ${(r.durationMs / 1000).toFixed(1)} s in all${warned}`,
    `  rows in the table: ${checkedRows === undefined ? 'not counted (no checksum)' : `${n(checkedRows)}, all matching (checksum)`}` +
      ` · ${n(r.chunks)} chunks · ${n(r.replayEvents)} row events replayed`,
    `  phases: ${r.phases.map((p) => `${p.phase} ${(p.ms / 1000).toFixed(1)} s`).join(' · ')}`,
  ];
  if (r.cutover) {
    lines.push(r.cutover.oldTable === null
      ? `  old table: \`${r.cutover.renamedTo}\` dropped`
      : `  old table: kept as \`${r.cutover.oldTable}\``);
  }
  return lines.join('\n');
}

/** What every mode remembers: the latest progress and step, and the checksum's final count. */
class Facts {
  progress: ProgressEvent | undefined;
  step: StepEvent | undefined;
  checked: number | undefined;

  see(event: MigrationEvent): void {
    if (event.type === 'progress') this.progress = event;
    else if (event.type === 'step') {
      this.step = event;
      if (event.finished && event.step.startsWith('checksum')) this.checked = event.done;
    } else if (event.type === 'phase' && event.state === 'start') this.step = undefined;
  }
}

/** A log line, or the key the run copies and replays by: a persistent line. */
function logLine(event: Extract<MigrationEvent, { type: 'log' | 'key' }>): string {
  if (event.type === 'key') return `copying and replaying by key ${event.description}`;
  return `${event.level === 'warn' ? 'warning: ' : ''}${event.message}`;
}

export function createReporter(opts: ReporterOptions): Reporter {
  const { stdout, stderr } = opts;
  const facts = new Facts();
  const summary = (r: MigrationResult) => summarize(r, facts.checked);
  if (opts.json) {
    return {
      onEvent: (event) => { facts.see(event); stdout.write(`${JSON.stringify(event)}\n`); },
      summary,
      succeed: () => {},
      fail: () => {},
      note: (line) => stderr.write(`migrate: ${line}\n`),
    };
  }
  const tty = Boolean(stderr.isTTY) && (stderr.columns ?? 0) > 0 && !process.env.CI;
  if (tty && !opts.quiet) return terminalReporter(stderr, facts, summary);
  const interval = opts.plainIntervalMs ?? (() => PLAIN_INTERVAL_MS);
  let lastPrinted = 0;
  const line = (time: string, text: string) => stderr.write(`migrate: ${time} ${text}\n`);
  return {
    onEvent(event) {
      facts.see(event);
      if (opts.quiet) return;
      if (event.type === 'phase' && event.state === 'start') line(event.time, `phase ${event.phase}`);
      else if ((event.type === 'log' && event.level !== 'debug') || event.type === 'key') line(event.time, logLine(event));
      else if ((event.type === 'progress' || event.type === 'step') && facts.progress && Date.now() - lastPrinted >= interval()) {
        lastPrinted = Date.now();
        line(event.time, describeProgress(facts.progress, facts.step));
      }
    },
    summary,
    succeed: (text) => stderr.write(`migrate: ${text}\n`),
    fail: (text) => stderr.write(`migrate: error: ${text}\n`),
    note: (text) => line(new Date().toISOString(), text),
  };
}

function terminalReporter(stderr: NodeJS.WritableStream, facts: Facts, summary: Reporter['summary']): Reporter {
  // discardStdin: false — ora would put the terminal in raw mode, where Ctrl-C is a byte on stdin
  // that ora 9 never reads (stdin stays paused): no SIGINT at all. Cooked mode lets the terminal send it.
  const spinner: Ora = ora({ text: 'starting', stream: stderr as NodeJS.WriteStream, discardStdin: false }).start();
  let phase = 'starting';
  const above = (text: string) => {
    spinner.clear();
    stderr.write(`${text}\n`);
    spinner.render();
  };
  const render = () => {
    const p = facts.progress;
    const step = facts.step && !facts.step.finished ? facts.step : undefined;
    if (!p) { spinner.text = phase; return; }
    const percent = step ? step.percent : p.snapshot.lowWatermark === 'done' ? 100 : p.percent;
    const what = step ? describeStep(step) : describeCopy(p);
    spinner.text = `${phase} ${bar(percent)} ${pct(percent)} · ${what}\n  ${describeState(p)}`;
  };
  return {
    onEvent(event) {
      facts.see(event);
      if (event.type === 'phase' && event.state === 'start') {
        phase = event.phase;
        above(`▸ ${event.phase}`);
        render();
      } else if (event.type === 'progress' || event.type === 'step') render();
      else if ((event.type === 'log' && event.level !== 'debug') || event.type === 'key') above(logLine(event));
    },
    summary,
    succeed: (line) => spinner.succeed(line),
    fail: (line) => spinner.fail(line),
    note: above,
  };
}
