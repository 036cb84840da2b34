/**
 * checkPrivileges: does the current account hold everything the engine uses?
 *
 * Global (ON *.*): REPLICATION SLAVE (stream the binlog), REPLICATION CLIENT (SHOW MASTER STATUS,
 * SHOW BINARY LOGS; MariaDB 10.5+ shows it as BINLOG MONITOR), RELOAD (FLUSH BINARY LOGS at cutover).
 * On the schema (or *.*): SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, LOCK TABLES — enough
 * for CREATE TABLE … LIKE, ALTER (index builds included), copy and replay writes, LOCK TABLES,
 * RENAME TABLE and DROP TABLE. Read from one `SHOW GRANTS FOR CURRENT_USER()`.
 */
import mysql from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { MissingPrivilegeError, type MissingGrant } from './errors.ts';
import { parseGrant, schemaPatternMatches, type Grant } from './grants.ts';

interface Requirement {
  /** The name to GRANT (accepted by MySQL and MariaDB). */
  readonly privilege: string;
  /** Names under which the server may show it. */
  readonly shownAs: readonly string[];
}

export const GLOBAL_REQUIREMENTS: readonly Requirement[] = [
  { privilege: 'REPLICATION SLAVE', shownAs: ['REPLICATION SLAVE', 'REPLICATION REPLICA'] },
  { privilege: 'REPLICATION CLIENT', shownAs: ['REPLICATION CLIENT', 'BINLOG MONITOR', 'SUPER'] },
  { privilege: 'RELOAD', shownAs: ['RELOAD'] },
];

export const SCHEMA_PRIVILEGES: readonly string[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'ALTER', 'LOCK TABLES'];

const ALL = ['ALL PRIVILEGES', 'ALL'];

export interface PrivilegeReport {
  /** What the account lacks. */
  readonly missing: MissingGrant[];
  /** What to GRANT so that it lacks nothing (may list more than `missing`, see below). */
  readonly toGrant: MissingGrant[];
}

const schemaTarget = (pattern: string) => `${mysql.escapeId(pattern, true)}.*`;

/**
 * What `grants` lack for migrating a table in `schema`. The server does not add up schema-level
 * grants: of the rows matching a schema it uses the most specific one only (an exact
 * GRANT … ON db.* hides a wildcard GRANT … ON `d%`.*). So: one matching row, its privileges count
 * and the fix adds to that same row; several, only what they all hold counts (conservative) and the
 * fix grants every schema privilege on the exact name (the new row then hides the others).
 */
export function missingPrivileges(grants: readonly Grant[], schema: string): PrivilegeReport {
  const global = new Set(grants.filter((g) => g.level === 'global').flatMap((g) => g.privileges));
  const rows = new Map<string, Set<string>>();
  for (const g of grants) {
    if (g.level !== 'schema' || g.schema === undefined || !schemaPatternMatches(g.schema, schema)) continue;
    const privileges = rows.get(g.schema) ?? new Set<string>();
    for (const p of g.privileges) {
      if (ALL.includes(p)) for (const q of SCHEMA_PRIVILEGES) privileges.add(q);
      else privileges.add(p);
    }
    rows.set(g.schema, privileges);
  }
  const matching = [...rows.values()];
  const onSchema = matching.length === 0 ? new Set<string>()
    : new Set([...matching[0]!].filter((p) => matching.every((row) => row.has(p))));
  const globalAll = ALL.some((p) => global.has(p));

  const missing: MissingGrant[] = [];
  for (const req of GLOBAL_REQUIREMENTS) {
    if (!globalAll && !req.shownAs.some((p) => global.has(p))) missing.push({ privilege: req.privilege, on: '*.*' });
  }
  const globalMissing = [...missing];
  // In a GRANT, _ and % in a schema name are wildcards: escape them to name exactly this schema.
  const exact = schemaTarget(schema.replace(/[\\_%]/g, '\\$&'));
  const target = rows.size === 1 ? schemaTarget([...rows.keys()][0]!) : exact;
  const schemaMissing = SCHEMA_PRIVILEGES.filter((p) => !globalAll && !global.has(p) && !onSchema.has(p));
  for (const p of schemaMissing) missing.push({ privilege: p, on: target });
  const toGrant = [...globalMissing];
  if (schemaMissing.length > 0) {
    const privileges = rows.size > 1 ? SCHEMA_PRIVILEGES.filter((p) => !global.has(p)) : schemaMissing;
    for (const p of privileges) toGrant.push({ privilege: p, on: target });
  }
  return { missing, toGrant };
}

/** The GRANT statements that give `grants` to user@host, one per target. */
export function grantStatements(grants: readonly MissingGrant[], user: string, host: string): string[] {
  const byTarget = new Map<string, string[]>();
  for (const m of grants) byTarget.set(m.on, [...(byTarget.get(m.on) ?? []), m.privilege]);
  return [...byTarget].map(([on, privileges]) => `GRANT ${privileges.join(', ')} ON ${on} TO ${mysql.escape(user)}@${mysql.escape(host)}`);
}

export async function checkPrivileges(db: Queryable, schema: string): Promise<void> {
  const rows = await queryRows(db, 'SHOW GRANTS FOR CURRENT_USER()');
  const grants = rows
    .map((r) => parseGrant(String(Object.values(r)[0] ?? '')))
    .filter((g): g is Grant => g !== undefined);
  const { missing, toGrant } = missingPrivileges(grants, schema);
  if (missing.length === 0) return;
  let account = grants[0] ? { user: grants[0].user, host: grants[0].host } : undefined;
  if (!account) {
    const [row] = await queryRows<{ u: string }>(db, 'SELECT CURRENT_USER() AS u');
    const at = String(row?.u ?? '').lastIndexOf('@');
    account = { user: String(row?.u ?? '').slice(0, at), host: String(row?.u ?? '').slice(at + 1) };
  }
  throw new MissingPrivilegeError(missing, grantStatements(toGrant, account.user, account.host));
}
