/** One-line descriptions of blockers for logs and errors (never a password). */
import { oneLine } from '../format.ts';
import type { Blocker } from './types.ts';

/** A statement that may carry a password is never shown. */
const SECRETISH = /password|identified|\bsecret\b|\bkey\b\s*=|aes_|des_encrypt/i;

export function safeStatement(info: unknown): string | null {
  if (info === null || info === undefined) return null;
  const text = String(info);
  if (text.trim() === '') return null;
  return SECRETISH.test(text) ? '(statement hidden: it may hold a password)' : oneLine(text, 160);
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 100) / 10} s`;
}

/** "session 42 (app@10.0.0.5:51234, 12 s in a transaction, idle)". */
export function describeBlocker(b: Blocker): string {
  const doing = b.statement ? `running: ${b.statement}` : b.command === 'Sleep' ? 'idle' : b.command;
  const held = b.exact ? `holding the lock ${seconds(b.ageMs)}` : `${seconds(b.ageMs)} in a transaction`;
  const rows = b.rowsModified > 0 ? `, ${b.rowsModified} row(s) changed` : '';
  return `session ${b.id} (${b.user}@${b.host}, ${held}${rows}, ${doing})`;
}
