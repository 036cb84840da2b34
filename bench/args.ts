/** The flags of `npm run bench`. */
import { parseArgs } from 'node:util';
import { BenchArgsError } from './errors.ts';

export const TOOLS = ['insert-select', 'alter-copy', 'pt-osc', 'sluice'] as const;
export type ToolName = (typeof TOOLS)[number];
/** idle: no load; loaded: under the write load; blocked: under the load with an idle blocker transaction on the table (--idle-blocker). */
export type Mode = 'idle' | 'loaded' | 'blocked';
/** The tools the blocked mode runs: the online ones (the server's statements would just wait on the blocker's metadata lock). */
export const BLOCKED_TOOLS: readonly ToolName[] = ['pt-osc', 'sluice'];

export interface BenchArgs {
  rows: number;
  /** The ALTER clause, without `ALTER TABLE t` (e.g. `ENGINE=InnoDB`). */
  alter: string;
  repeats: number;
  tools: ToolName[];
  modes: Mode[];
  /** Write operations per second of the load process. */
  loadRate: number;
  /** Rows of the bulk UPDATE in the replay-throughput step (0: skip the step). */
  replayRows: number;
  /** Run the scale study (time and peak RSS per table size) instead of the comparison. */
  scale: boolean;
  sizes: number[];
  /** Sluice copy workers (--threads); undefined: Sluice's default. */
  threads: number | undefined;
  /** Extra flags for every Sluice run (e.g. --no-checksum, --target-chunk-time 1000). */
  sluiceFlags: string[];
  /** Build dist/ first (npm run build) and run the compiled CLI. */
  build: boolean;
  /** Run Sluice with node --cpu-prof (profiles under the raw folder). */
  cpuProf: boolean;
  port: number;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

  --rows N            rows in bench.t (default 1000000)
  --alter SQL         the ALTER clause, without "ALTER TABLE t" (default "ENGINE=InnoDB": a full copy)
  --repeats N         repeats per tool and mode; the median and min–max are reported (default 3)
  --tools LIST        comma-separated subset of ${TOOLS.join(',')} (default all)
  --no-load           idle runs only (default: idle, then under the write load)
  --load-rate N       write operations per second of the load (default 200)
  --idle-blocker      also run the online tools under the load with an idle blocker present: a
                      session that BEGINs, reads bench.t and idles (default off)
  --replay-rows N     rows of the bulk UPDATE timed in the replay step (default 200000; 0 skips it)
  --scale             instead: time and peak RSS of Sluice (and INSERT…SELECT) per table size
  --sizes LIST        sizes for --scale (default 100000,1000000; add 10000000 if you have the time)
  --threads N         Sluice copy workers (default: Sluice's own default)
  --sluice-flags=STR  extra migrate flags for every Sluice run, e.g. --sluice-flags="--no-checksum --target-chunk-time 1000"
  --no-build          do not run "npm run build" first (use the existing dist/, else the sources via tsx)
  --cpu-prof          profile Sluice (node --cpu-prof) and print its hottest functions
  --port P            sandbox port (default 3330)`;

function whole(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new BenchArgsError(`--${name} must be a whole number >= ${min}, got "${value}"`);
  return n;
}

function modesOf(noLoad: boolean, idleBlocker: boolean): Mode[] {
  if (noLoad && idleBlocker) throw new BenchArgsError('--idle-blocker runs under the load: drop --no-load');
  return noLoad ? ['idle'] : idleBlocker ? ['idle', 'loaded', 'blocked'] : ['idle', 'loaded'];
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        rows: { type: 'string' }, alter: { type: 'string' }, repeats: { type: 'string' }, tools: { type: 'string' },
        'no-load': { type: 'boolean' }, 'idle-blocker': { type: 'boolean' }, 'load-rate': { type: 'string' }, 'replay-rows': { type: 'string' },
        scale: { type: 'boolean' }, sizes: { type: 'string' }, threads: { type: 'string' }, 'sluice-flags': { type: 'string' },
        'no-build': { type: 'boolean' }, 'cpu-prof': { type: 'boolean' }, port: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new BenchArgsError((err as Error).message.split('\n')[0]!);
  }
  const tools = (values.tools ?? TOOLS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const t of tools) {
    if (!(TOOLS as readonly string[]).includes(t)) throw new BenchArgsError(`unknown tool "${t}" in --tools (known: ${TOOLS.join(', ')})`);
  }
  const sizes = (values.sizes ?? '100000,1000000').split(',').map((s) => whole('sizes', s.trim(), 0, 1000));
  const alter = (values.alter ?? 'ENGINE=InnoDB').trim().replace(/;\s*$/, '');
  if (/^\s*alter\s+table\b/i.test(alter)) throw new BenchArgsError('--alter takes the clause only, e.g. --alter "ADD COLUMN c INT", not "ALTER TABLE …"');
  const rows = whole('rows', values.rows, 1_000_000, 1000);
  return {
    rows,
    alter,
    repeats: whole('repeats', values.repeats, 3, 1),
    tools: tools as ToolName[],
    modes: modesOf(values['no-load'] ?? false, values['idle-blocker'] ?? false),
    loadRate: whole('load-rate', values['load-rate'], 200, 1),
    replayRows: Math.min(rows, whole('replay-rows', values['replay-rows'], 200_000, 0)),
    scale: values.scale ?? false,
    sizes,
    threads: values.threads === undefined ? undefined : whole('threads', values.threads, 2, 1),
    sluiceFlags: (values['sluice-flags'] ?? '').split(/\s+/).filter(Boolean),
    build: !values['no-build'],
    cpuProf: values['cpu-prof'] ?? false,
    port: whole('port', values.port, 3330, 1),
    help: values.help ?? false,
  };
}
