/** Small formatting helpers shared by every part of core (and the plugin API). */
import mysql from 'mysql2/promise';

/** `schema`.`table`, each part escaped on its own (names may contain dots or backticks). */
export function qualifiedName(schema: string, table: string): string {
  return `${mysql.escapeId(schema, true)}.${mysql.escapeId(table, true)}`;
}

/** Text for a one-line message: whitespace collapsed, cut at `max` characters. */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
