/**
 * What can be steered while a migration runs: settings (read with `?name`, changed with
 * `name=value`) and commands (`pause`, `cutover`, …). Core registers its own (threads, chunk-time,
 * cutover, abort); plugins register theirs through `Tokens.Control` (the throttler: pause, resume,
 * max-load, critical-load, max-replica-lag). Every change is validated by its setting and applied
 * at once, without a restart.
 */
import { ControlCommandError, ControlValueError } from './errors.ts';

export type SettingValue = number | string | boolean;

export interface ControlSetting {
  /** As typed on the socket: lower case, words joined by `-` (`max-replica-lag`). */
  readonly name: string;
  /** One line for `migrate ctl help`. */
  readonly description: string;
  /** The current value (durations as text, e.g. '500ms'). */
  get(): SettingValue;
  /**
   * Applies a value: text from the socket, or a typed value from the API. Throws ControlValueError
   * (nothing changed) when it is not usable; returns what it did ("threads: 2 -> 1").
   */
  set?(value: SettingValue): string;
}

export interface ControlCommand {
  readonly name: string;
  readonly description: string;
  /** Does it; returns what it did. `argument` is the text after the name (`pause backup running`). */
  run(argument: string | undefined): string;
}

/** What plugins get from `Tokens.Control`. */
export interface ControlRegistry {
  setting(setting: ControlSetting): void;
  command(command: ControlCommand): void;
}

const NAME = /^[a-z][a-z0-9-]*$/;

export class ControlTable implements ControlRegistry {
  readonly #settings = new Map<string, ControlSetting>();
  readonly #commands = new Map<string, ControlCommand>();

  setting(setting: ControlSetting): void {
    this.#add(setting.name);
    this.#settings.set(setting.name, setting);
  }

  command(command: ControlCommand): void {
    this.#add(command.name);
    this.#commands.set(command.name, command);
  }

  get(name: string): SettingValue {
    return this.#setting(name).get();
  }

  set(name: string, value: SettingValue): string {
    const setting = this.#setting(name);
    if (!setting.set) throw new ControlValueError(`${name} can only be read: send ?${name}`);
    return setting.set(value);
  }

  run(name: string, argument?: string): string {
    const command = this.#commands.get(name);
    if (!command) throw new ControlCommandError(`${name} is not available in this migration${name === 'pause' || name === 'resume' ? ' (the throttler plugin is disabled)' : ''}: send help for the commands`);
    return command.run(argument);
  }

  kind(name: string): 'setting' | 'command' | undefined {
    return this.#settings.has(name) ? 'setting' : this.#commands.has(name) ? 'command' : undefined;
  }

  /** Every setting's current value, by name. */
  values(): Record<string, SettingValue> {
    return Object.fromEntries([...this.#settings.values()].map((s) => [s.name, s.get()]));
  }

  /** One line per command and setting. */
  help(): string[] {
    return [
      ...[...this.#commands.values()].map((c) => `${c.name}: ${c.description}`),
      ...[...this.#settings.values()].map((s) => `${s.set ? `${s.name}=VALUE, ` : ''}?${s.name}: ${s.description}`),
    ];
  }

  #setting(name: string): ControlSetting {
    const setting = this.#settings.get(name);
    if (setting) return setting;
    const known = [...this.#settings.keys()].join(', ');
    const why = name === 'max-load' || name === 'critical-load' || name === 'max-replica-lag' ? ' (the throttler plugin is disabled)' : '';
    throw new ControlCommandError(`no setting "${name.slice(0, 40)}" in this migration${why}: settings are ${known}`);
  }

  #add(name: string): void {
    if (!NAME.test(name)) throw new ControlValueError(`a control name must be lower case words joined by "-", got ${JSON.stringify(name)}`);
    if (this.#settings.has(name) || this.#commands.has(name)) throw new ControlValueError(`the control name ${name} is registered twice: rename one`);
  }
}

/** A whole number in [min, max] from the socket's text or the API's number; `what` names the fix. */
export function wholeNumber(name: string, value: SettingValue, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ControlValueError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}: send ${name}=N`);
  }
  return n;
}
