/** Durations in options: milliseconds as a number, or a string like '500ms', '5s', '2m', '168h', '1h30m'. */
import { ThrottlerOptionError } from './errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(name: string, value: number | string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const bad = () => new ThrottlerOptionError(`${name} must be a positive duration in ms or like '500ms', '5s', '2m', '1h', got ${JSON.stringify(value)}: fix ${name}`);
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) ms = Number(value);
  else if (typeof value === 'string' && /^(\s*\d+(\.\d+)?\s*(ms|s|m|h|d)\s*)+$/i.test(value)) {
    ms = 0;
    for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gi)) ms += Number(n) * UNIT_MS[unit!.toLowerCase()]!;
  } else throw bad();
  if (!Number.isFinite(ms) || ms <= 0) throw bad();
  return Math.round(ms);
}
