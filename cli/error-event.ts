/**
 * The JSON event of an error the migration never saw: a bad flag, a config file that is wrong,
 * options the engine refuses before a migration exists. With `--json`, stdout then still holds one
 * event saying why the run ended, with the error's class name and code, as a failed run's has.
 */
import { redactText, SluiceError, type MigrationEvent } from '../mod.ts';

/** The engine's `failed` event, same fields (cli/event-schema.ts). */
export type ErrorEvent = Extract<MigrationEvent, { type: 'failed' }>;

export function errorEvent(err: unknown, secrets: readonly string[]): ErrorEvent {
  const message = redactText(err instanceof Error ? err.message : String(err), secrets);
  const code = err instanceof SluiceError ? err.code : (err as { code?: unknown } | null)?.code;
  return {
    type: 'failed', time: new Date().toISOString(), error: message, name: err instanceof Error ? err.constructor.name || err.name : typeof err,
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** `--json` as the raw arguments give it (for errors raised while the flags themselves are parsed). */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}
