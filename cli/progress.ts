/**
 * How a run is shown: ora's spinner on a terminal (only when it reports a width: ora spins forever
 * on a 0-column TTY), plain periodic lines when piped or in CI, JSON lines with --json.
 * Everything goes through the migration's events, which are already redacted.
 */
import ora, { type Ora } from 'ora';
import type { MigrationEvent, ProgressSnapshot } from '../mod.ts';

export interface Reporter {
  onEvent(event: MigrationEvent): void;
  succeed(line: string): void;
  fail(line: string): void;
  /** A line from the CLI itself (e.g. what a signal does), on stderr, also with --json and --quiet. */
  note(line: string): void;
}

const PLAIN_INTERVAL_MS = 5000;

export function describeProgress(s: ProgressSnapshot): string {
  const pct = s.rowsEstimate > 0 ? Math.min(100, Math.floor((s.rowsCopied / s.rowsEstimate) * 100)) : undefined;
  const copied = `${s.rowsCopied.toLocaleString('en-US')}${s.rowsEstimate ? `/~${s.rowsEstimate.toLocaleString('en-US')}` : ''} rows`;
  const parts = [`${s.phase}${pct !== undefined && s.phase === 'copy' ? ` ${pct}%` : ''}`, copied, `${s.replayedEvents.toLocaleString('en-US')} binlog row events`];
  if (s.throttled) parts.push(`throttled: ${s.throttled}`);
  return parts.join(' · ');
}

export function createReporter(opts: { json: boolean; quiet: boolean; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Reporter {
  const { stdout, stderr } = opts;
  if (opts.json) {
    return {
      onEvent: (event) => stdout.write(`${JSON.stringify(event)}\n`),
      succeed: () => {},
      fail: () => {},
      note: (line) => stderr.write(`migrate: ${line}\n`),
    };
  }
  const tty = Boolean(stderr.isTTY) && (stderr.columns ?? 0) > 0 && !process.env.CI;
  if (tty && !opts.quiet) {
    // discardStdin: false — ora would put the terminal in raw mode, where Ctrl-C is a byte on stdin
    // that ora 9 never reads (stdin stays paused): no SIGINT at all. Cooked mode lets the terminal send it.
    const spinner: Ora = ora({ text: 'starting', stream: stderr, discardStdin: false }).start();
    return {
      onEvent(event) {
        if (event.type === 'phase' && event.state === 'start') spinner.text = event.phase;
        else if (event.type === 'progress') spinner.text = describeProgress(event.snapshot);
        else if ((event.type === 'log' && event.level !== 'debug') || event.type === 'key') {
          spinner.clear();
          stderr.write(event.type === 'key' ? `${keyLine(event.description)}\n` : `${event.level === 'warn' ? 'warning: ' : ''}${event.message}\n`);
          spinner.render();
        }
      },
      succeed: (line) => spinner.succeed(line),
      fail: (line) => spinner.fail(line),
      note(line) {
        spinner.clear();
        stderr.write(`${line}\n`);
        spinner.render();
      },
    };
  }
  let lastPrinted = 0;
  return {
    onEvent(event) {
      if (opts.quiet) return;
      if (event.type === 'phase' && event.state === 'start') stderr.write(`migrate: ${event.phase}\n`);
      else if (event.type === 'log' && event.level !== 'debug') stderr.write(`migrate: ${event.level === 'warn' ? 'warning: ' : ''}${event.message}\n`);
      else if (event.type === 'key') stderr.write(`migrate: ${keyLine(event.description)}\n`);
      else if (event.type === 'progress' && Date.now() - lastPrinted >= PLAIN_INTERVAL_MS) {
        lastPrinted = Date.now();
        stderr.write(`migrate: ${describeProgress(event.snapshot)}\n`);
      }
    },
    succeed: (line) => stderr.write(`migrate: ${line}\n`),
    fail: (line) => stderr.write(`migrate: error: ${line}\n`),
    note: (line) => stderr.write(`migrate: ${line}\n`),
  };
}

/** The start report of the key (core/preflight/key-choice.ts). */
function keyLine(description: string): string {
  return `copying and replaying by key ${description}`;
}
