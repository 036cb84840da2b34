/**
 * `--defaults-file PATH`: the `[client]` section of a MySQL option file, as the mysql client reads
 * it: `name=value` lines (spaces around `=` allowed, `-` and `_` alike in names, a leading `--`
 * allowed), values optionally quoted ('…' or "…", with \n \t \\ \' \" \s escapes), `#` and `;`
 * comments, other sections ignored. Taken: user, password, host, port, socket, ssl-ca, ssl-cert,
 * ssl-key, ssl-mode. `!include`/`!includedir` are refused (one file, read as given).
 */
import { readFileSync } from 'node:fs';
import { InvalidOptionError, type SluiceConfig } from '../mod.ts';

type Connection = NonNullable<SluiceConfig['connection']>;

export function readDefaultsFile(path: string): Partial<Connection> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidOptionError(`cannot read --defaults-file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}): check the path`);
  }
  return parseClientSection(text, path);
}

export function parseClientSection(text: string, path: string): Partial<Connection> {
  const out: Record<string, unknown> = {};
  const ssl: Record<string, string> = {};
  let section = '';
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    const where = `${path} line ${i + 1}`;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('!')) throw new InvalidOptionError(`${where}: ${line.split(/\s/)[0]} is not supported in --defaults-file: put the settings in this file`);
    const header = /^\[([^\]]+)\]\s*(?:[#;].*)?$/.exec(line);
    if (header) { section = header[1]!.trim().toLowerCase(); return; }
    if (section !== 'client') return;
    const m = /^(?:--)?([A-Za-z0-9_-]+)\s*(?:=\s*(.*))?$/.exec(line);
    if (!m) throw new InvalidOptionError(`${where}: expected name=value in the [client] section`);
    const name = m[1]!.toLowerCase().replace(/_/g, '-');
    const value = m[2] === undefined ? '' : unquote(m[2], where);
    switch (name) {
      case 'user': out.user = value; break;
      case 'password': out.password = value; break;
      case 'host': out.host = value; break;
      case 'socket': out.socketPath = value; break;
      case 'port':
        if (!/^\d+$/.test(value)) throw new InvalidOptionError(`${where}: port must be a whole number`);
        out.port = Number(value);
        break;
      case 'ssl-ca': ssl.ca = value; break;
      case 'ssl-cert': ssl.cert = value; break;
      case 'ssl-key': ssl.key = value; break;
      case 'ssl-mode': ssl.mode = value.toUpperCase(); break;
      default: break; // the mysql client's other options mean nothing to Sluice
    }
  });
  if (Object.keys(ssl).length > 0) out.ssl = ssl;
  return out as Partial<Connection>;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', s: ' ', '\\': '\\', "'": "'", '"': '"' };

/** A value: quoted (escapes apply, a comment may follow) or bare (a ` #` starts a comment). */
function unquote(value: string, where: string): string {
  const q = value[0];
  if (q === '"' || q === "'") {
    let out = '';
    for (let i = 1; i < value.length; i++) {
      const c = value[i]!;
      if (c === '\\' && i + 1 < value.length) { out += ESCAPES[value[++i]!] ?? `\\${value[i]}`; continue; }
      if (c === q) {
        const rest = value.slice(i + 1).trim();
        if (rest !== '' && !rest.startsWith('#') && !rest.startsWith(';')) throw new InvalidOptionError(`${where}: text after the closing quote`);
        return out;
      }
      out += c;
    }
    throw new InvalidOptionError(`${where}: the value has no closing quote`);
  }
  return value.replace(/\s+#.*$/, '').trim();
}
