/**
 * `migrate ctl [--socket PATH | --port N] [--json] COMMAND`: sends one command to a running
 * migration's control endpoint (core/control/README.md) and prints the answer: the status as one
 * JSON document, any other answer as one line (`--json`: the endpoint's JSON line as it is).
 * Exit codes: 0 done, 2 a refused command or bad usage, 1 no endpoint to talk to.
 */
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidOptionError } from '../mod.ts';
import { EXIT } from './exit.ts';

const REPLY_TIMEOUT_MS = 10_000;

export const CTL_USAGE = `Usage: migrate ctl [--socket PATH | --port N] [--json] COMMAND
  status                   the migration as one JSON document
  pause [REASON]           pause the copy before its next chunk (replay goes on);  resume
  threads=N                copy workers;  chunk-time=DURATION  time per copy chunk (250ms, 2s)
  max-load=N  critical-load=N  max-replica-lag=DURATION   the throttler's limits (0: off)
  cutover                  release a deferred cutover (as DROP TABLE _sluice_sentinel does)
  abort                    cancel the migration, keeping its checkpoint
  ?NAME                    read a setting (?threads, ?chunk-time, ?max-load, ?paused, …);  help
  --socket PATH            the migration's control socket (default: the only $TMPDIR/sluice-*.sock)
  --port N                 its TCP control port on 127.0.0.1 instead (--control-port of the migration)
  --json                   print the endpoint's answer as it is (one JSON line)`;

interface Reply {
  ok: boolean;
  message?: string;
  status?: unknown;
  help?: string[];
}

export async function runCtl(argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv], strict: true, allowPositionals: true,
      options: { socket: { type: 'string' }, port: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    throw new InvalidOptionError(`${(e as Error).message.split('\n')[0]}: see migrate ctl --help`);
  }
  if (values.help) {
    out.write(`${CTL_USAGE}\n`);
    return EXIT.ok;
  }
  const command = positionals.join(' ').trim();
  if (command === '') throw new InvalidOptionError('migrate ctl needs a command, e.g. migrate ctl status: see migrate ctl --help');
  if (values.socket !== undefined && values.port !== undefined) throw new InvalidOptionError('pass --socket or --port, not both');
  if (values.port !== undefined && !/^\d+$/.test(values.port)) throw new InvalidOptionError(`--port must be a whole number, got "${values.port}"`);
  const target = values.port !== undefined ? { port: Number(values.port), host: '127.0.0.1' } : { path: values.socket ?? findSocket() };
  const where = 'path' in target ? target.path : `127.0.0.1:${target.port}`;
  let line: string;
  try {
    line = await send(connect(target), command);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    err.write(`migrate ctl: error: cannot talk to the control endpoint ${where} (${code}): is the migration running? (its path is printed at start)\n`);
    return EXIT.failed;
  }
  const reply = JSON.parse(line) as Reply;
  if (values.json) out.write(`${line}\n`);
  else if (!reply.ok) err.write(`migrate ctl: error: ${reply.message}\n`);
  else if (reply.status !== undefined) out.write(`${JSON.stringify(reply.status, null, 2)}\n`);
  else if (reply.help) out.write(`${reply.help.join('\n')}\n`);
  else out.write(`${reply.message}\n`);
  return reply.ok ? EXIT.ok : EXIT.usage;
}

/** The only Sluice control socket in $TMPDIR (the default path of a migration). */
function findSocket(): string {
  const dir = tmpdir();
  const found = readdirSync(dir).filter((f) => /^sluice-.*\.sock$/.test(f)).map((f) => join(dir, f));
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new InvalidOptionError(`no control socket in ${dir}: pass --socket PATH (the migration prints it at start)`);
  throw new InvalidOptionError(`${found.length} control sockets in ${dir} (${found.join(', ')}): pass --socket PATH`);
}

/** Sends one command line; resolves with the answer's line. */
function send(socket: Socket, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer in ${REPLY_TIMEOUT_MS / 1000} s`)); }, REPLY_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      resolve(buffered.slice(0, nl));
    });
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    socket.on('close', () => { clearTimeout(timer); reject(new Error('the endpoint closed the connection without answering')); });
  });
}
