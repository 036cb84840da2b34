/**
 * The control endpoint: a Unix socket (owner-only, 0600) and/or a TCP port on 127.0.0.1 that
 * take one text command per line and answer each with one JSON line (see README.md). A stale
 * socket file (its process was killed) is detected by connecting to it and replaced; a live one
 * is refused. close() removes the socket file before it returns.
 */
import { createHash } from 'node:crypto';
import { chmod, lstat, rm, stat } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SluiceError } from '../errors.ts';
import type { Logger } from '../lifecycle/context.ts';
import type { MigrationControl } from './control.ts';
import { ControlEndpointError, ControlSocketInUseError } from './errors.ts';

/** Longest line a client may send (a command is short). */
const MAX_LINE = 4096;
/** Longest socket path Linux accepts (sun_path is 108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH = 107;
const PROBE_TIMEOUT_MS = 2000;

export interface ControlEndpointOptions {
  control: MigrationControl;
  /** Unix socket path (none: no socket). */
  socketPath?: string;
  /** TCP port on 127.0.0.1 (0: any free port; none: no TCP). */
  port?: number;
  log: Logger;
}

/**
 * `$TMPDIR/sluice-<port>-<schema>.<table>.sock` (the server's port keeps sandboxes and servers on one
 * host apart); names outside [A-Za-z0-9_.-] become `_`; a path too long for a socket is hashed.
 */
export function defaultSocketPath(server: { port?: number; socketPath?: string }, schema: string, table: string, dir = tmpdir()): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  const where = server.socketPath ? 'local' : String(server.port ?? 3306);
  const path = join(dir, `sluice-${where}-${safe(schema)}.${safe(table)}.sock`);
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return path;
  const hash = createHash('sha1').update(`${where}\0${schema}\0${table}`).digest('hex').slice(0, 16);
  return join(dir, `sluice-${hash}.sock`);
}

export class ControlEndpoint {
  readonly socketPath: string | undefined;
  readonly port: number | undefined;
  readonly #servers: Server[];
  /** Every connected client (serve() adds and removes them), ended by close(). */
  readonly #clients: Set<Socket>;
  readonly #socketInode: number | undefined;
  #closed: Promise<void> | undefined;

  private constructor(servers: Server[], clients: Set<Socket>, socketPath: string | undefined, port: number | undefined, inode: number | undefined) {
    this.#servers = servers;
    this.#clients = clients;
    this.socketPath = socketPath;
    this.port = port;
    this.#socketInode = inode;
  }

  /** Opens the socket and/or the port; throws ControlSocketInUseError / ControlEndpointError having opened nothing. */
  static async open(opts: ControlEndpointOptions): Promise<ControlEndpoint> {
    const opened: Server[] = [];
    const clients = new Set<Socket>();
    const handler = (socket: Socket) => serve(socket, opts.control, clients);
    try {
      let socketPath: string | undefined;
      let port: number | undefined;
      if (opts.socketPath !== undefined) {
        socketPath = opts.socketPath;
        await clearStaleSocket(socketPath, opts.log);
        opened.push(await listenOnSocket(createServer(handler), socketPath));
      }
      if (opts.port !== undefined) {
        const server = createServer(handler);
        await listen(server, () => server.listen({ host: '127.0.0.1', port: opts.port }), `127.0.0.1:${opts.port}`);
        opened.push(server);
        port = (server.address() as AddressInfo).port;
      }
      const inode = socketPath ? (await stat(socketPath)).ino : undefined;
      return new ControlEndpoint(opened, clients, socketPath, port, inode);
    } catch (err) {
      await Promise.all(opened.map((s) => new Promise((resolve) => s.close(resolve))));
      throw err;
    }
  }

  /** Stops listening, ends every client connection and removes the socket file. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    for (const client of this.#clients) client.destroy();
    await Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    // libuv unlinks the socket on close; make sure, but never remove a file another process put there since
    if (this.socketPath) {
      const now = await stat(this.socketPath).catch(() => undefined);
      if (now && now.ino === this.#socketInode) await rm(this.socketPath, { force: true });
    }
  }
}

/** One client: each line is a command, each answer one JSON line. */
function serve(socket: Socket, control: MigrationControl, clients: Set<Socket>): void {
  clients.add(socket);
  socket.on('close', () => clients.delete(socket));
  socket.on('error', () => socket.destroy());
  socket.setEncoding('utf8');
  let buffered = '';
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== '') socket.write(`${JSON.stringify(answer(control, line))}\n`);
    }
    if (buffered.length > MAX_LINE) {
      socket.end(`${JSON.stringify({ ok: false, error: 'ControlCommandError', code: 'CONTROL_COMMAND', message: `a command line is at most ${MAX_LINE} bytes` })}\n`);
    }
  });
  // a client that sends its command without a final newline (printf status | nc -U …) is answered at its end
  socket.on('end', () => {
    if (buffered.trim() !== '') socket.write(`${JSON.stringify(answer(control, buffered))}\n`);
    buffered = '';
    socket.end();
  });
}

function answer(control: MigrationControl, line: string): object {
  try {
    return control.execute(line);
  } catch (err) {
    const e = err as Error;
    return { ok: false, error: e?.name ?? 'Error', code: err instanceof SluiceError ? err.code : undefined, message: e?.message ?? String(err) };
  }
}

async function clearStaleSocket(path: string, log: Logger): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new ControlEndpointError(`the control socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes: pass a shorter --control-socket`);
  }
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new ControlEndpointError(`cannot check the control socket ${path} (${err.code ?? err.message}): pass --control-socket with a path you own`, { cause: err });
  });
  if (!st) return;
  if (!st.isSocket()) throw new ControlEndpointError(`${path} exists and is not a socket: remove it, or pass --control-socket with another path`);
  if (await isListening(path)) throw new ControlSocketInUseError(path);
  await rm(path, { force: true });
  log.info(`control: replaced the stale control socket ${path} (its process ended without removing it)`);
}

/** Connects to the socket: refused means nobody listens (stale); a connection (or no answer in time) means live. */
function isListening(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect({ path });
    const timer = setTimeout(() => { probe.destroy(); resolve(true); }, PROBE_TIMEOUT_MS);
    probe.once('connect', () => { clearTimeout(timer); probe.destroy(); resolve(true); });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(new ControlEndpointError(`cannot check the control socket ${path} (${err.code ?? err.message}): pass --control-socket with a path you own`, { cause: err }));
    });
  });
}

/** Listens on a Unix socket created owner-only: the umask applies while bind() runs (synchronously), then chmod 0600 makes sure. */
async function listenOnSocket(server: Server, path: string): Promise<Server> {
  await listen(server, () => {
    let old: number | undefined;
    try {
      old = process.umask(0o177);
    } catch {
      // worker threads cannot set the umask: the chmod below still applies
    }
    try {
      server.listen(path);
    } finally {
      if (old !== undefined) process.umask(old);
    }
  }, path);
  await chmod(path, 0o600);
  return server;
}

function listen(server: Server, start: () => void, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new ControlEndpointError(`cannot open the control endpoint at ${where} (${err.code ?? err.message}): pass another --control-socket or --control-port`, { cause: err }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    start();
  });
}
