/**
 * Which stuck-query watchdog (watchdog.ts) watches the dedicated connections of a run: the run's
 * connection options object is its key (every phase and plugin opens its sessions with the same
 * object, Tokens.Connection), so openConnection() hands each new connection to it without its
 * callers knowing.
 */
import type { ConnectionOptions } from './connection.ts';

export interface ConnectionWatcher {
  watch(connection: { connection: unknown }): void;
}

const watchers = new WeakMap<ConnectionOptions, ConnectionWatcher>();

export function setWatcher(conn: ConnectionOptions, watcher: ConnectionWatcher | undefined): void {
  if (watcher) watchers.set(conn, watcher);
  else watchers.delete(conn);
}

export function watcherFor(conn: ConnectionOptions): ConnectionWatcher | undefined {
  return watchers.get(conn);
}
