/**
 * The control API of a running migration (`migration.control`): typed methods for programs, and
 * `execute(line)` for the text commands the control socket receives (`status`, `pause`,
 * `threads=4`, `?chunk-time`, …). Both go through the same registry, so they do the same thing.
 */
import { ControlCommandError, ControlValueError } from './errors.ts';
import type { ControlTable, SettingValue } from './registry.ts';

/** The `status` document (one JSON object on the socket). */
export interface ControlStatus {
  /** `schema.table`, once inspected. */
  readonly table: string | null;
  readonly phase: string;
  readonly elapsedMs: number;
  /** Rows the copier wrote in this run and in the runs it resumed. */
  readonly rowsCopied: number;
  /** The server's estimate of the rows in the table (an estimate). */
  readonly rowsEstimate: number;
  /** Rows the copier cuts its next chunk for (null before the copy, or after it). */
  readonly chunkSize: number | null;
  /** Copy workers running now (null before the copy, or after it). */
  readonly copyWorkers: number | null;
  /** Why the copy is paused, or null. */
  readonly throttled: string | null;
  readonly replay: { readonly applied: string | null; readonly pending: number; readonly events: number };
  /** `not deferred`, `deferred` (it will wait), `waiting` (for the sentinel to go or a `cutover` command), or `released`. */
  readonly cutover: 'not deferred' | 'deferred' | 'waiting' | 'released';
  /** Every setting's current value (`threads`, `chunk-time`, `max-load`, …). */
  readonly settings: Readonly<Record<string, SettingValue>>;
  /** Where the control endpoint listens. */
  readonly endpoints: { readonly socket?: string; readonly port?: number };
}

/** Commands of a complete migration (core's and the throttler's). */
const KNOWN_COMMANDS = new Set(['pause', 'resume', 'cutover', 'abort']);

export type StatusSource = () => Omit<ControlStatus, 'settings' | 'endpoints'>;

export interface ControlReply {
  readonly ok: true;
  readonly command: string;
  /** What was done, or the value read, as one line. */
  readonly message: string;
  readonly value?: SettingValue;
  readonly status?: ControlStatus;
  readonly help?: readonly string[];
}

export class MigrationControl {
  readonly #table: ControlTable;
  readonly #status: StatusSource;
  #endpoints: { socket?: string; port?: number } = {};

  constructor(table: ControlTable, status: StatusSource) {
    this.#table = table;
    this.#status = status;
  }

  status(): ControlStatus {
    return { ...this.#status(), settings: this.#table.values(), endpoints: { ...this.#endpoints } };
  }

  /** Pauses the copy before its next chunk (replay goes on). */
  pause(reason?: string): string {
    return this.#table.run('pause', reason);
  }

  resume(): string {
    return this.#table.run('resume');
  }

  /** Copy workers from now on: more start at once, fewer leave after their current chunk. */
  setThreads(threads: number): string {
    return this.#table.set('threads', threads);
  }

  /** The time one copy chunk aims at: ms, or '250ms', '2s'. */
  setChunkTime(duration: number | string): string {
    return this.#table.set('chunk-time', duration);
  }

  /** Pause the copy while Threads_running is above this (0: off). */
  setMaxLoad(threads: number): string {
    return this.#table.set('max-load', threads);
  }

  /** Stop the migration (keeping its checkpoint) when Threads_running is above this (0: off). */
  setCriticalLoad(threads: number): string {
    return this.#table.set('critical-load', threads);
  }

  /** Pause the copy while a replica lags more than this: ms, or '10s'. */
  setMaxReplicaLag(duration: number | string): string {
    return this.#table.set('max-replica-lag', duration);
  }

  /** Releases a deferred cutover, as dropping the sentinel table does (also before the wait begins). */
  cutover(): string {
    return this.#table.run('cutover');
  }

  /** Cancels the run; its checkpoint is kept (run the same migration again to resume). */
  abort(reason?: string): string {
    return this.#table.run('abort', reason);
  }

  get(name: string): SettingValue {
    return this.#table.get(name);
  }

  set(name: string, value: SettingValue): string {
    return this.#table.set(name, value);
  }

  /** One line per command and setting. */
  help(): string[] {
    return ['status: the migration as one JSON document', 'help: this list', ...this.#table.help()];
  }

  /** Runs one text command (what the control socket receives); throws a SluiceError when it cannot. */
  execute(line: string): ControlReply {
    const text = line.trim();
    if (text === '' || text.length > 1000) throw new ControlCommandError('send one command per line, e.g. status, pause, threads=4, ?chunk-time: send help for the list');
    if (text === 'status') {
      const status = this.status();
      return { ok: true, command: 'status', message: `${status.phase}: ${status.rowsCopied} rows copied`, status };
    }
    if (text === 'help') return { ok: true, command: 'help', message: 'commands and settings', help: this.help() };
    const read = /^\?([a-z][a-z0-9-]*)$/.exec(text);
    if (read) {
      const value = this.#table.get(read[1]!);
      return { ok: true, command: `?${read[1]}`, message: `${read[1]}=${String(value)}`, value };
    }
    const assign = /^([a-z][a-z0-9-]*)\s*=\s*(.*)$/.exec(text);
    if (assign) {
      const [, name, value] = assign;
      if (value === '') throw new ControlValueError(`no value given: send ${name}=VALUE (or ?${name} to read it)`);
      const message = this.#table.set(name!, value!);
      return { ok: true, command: name!, message, value: this.#table.get(name!) };
    }
    const command = /^([a-z][a-z0-9-]*)(?:\s+(.*))?$/.exec(text);
    const kind = command ? this.#table.kind(command[1]!) : undefined;
    if (kind === 'command') return { ok: true, command: command![1]!, message: this.#table.run(command![1]!, command![2]) };
    // a command this migration lacks (pause without the throttler) says so rather than "unknown"
    if (kind === undefined && command && KNOWN_COMMANDS.has(command[1]!)) this.#table.run(command[1]!, command[2]);
    if (kind === 'setting') throw new ControlValueError(`${command![1]} is a setting: send ${command![1]}=VALUE to change it, ?${command![1]} to read it`);
    const name = command?.[1] ?? text.slice(0, 40);
    throw new ControlCommandError(`unknown control command "${name}": send help for the list (status, pause, resume, threads=N, chunk-time=D, max-load=N, max-replica-lag=D, cutover, abort, ?name)`);
  }

  /** Set by the endpoint once it listens (shown in status). */
  listening(endpoints: { socket?: string; port?: number }): void {
    this.#endpoints = { ...this.#endpoints, ...endpoints };
  }
}
