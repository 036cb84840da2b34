/**
 * An in-process readers–writer gate on the shadow table: copy chunks hold it shared (they never
 * touch the same shadow rows, so they may overlap), each replay batch holds it exclusively, from
 * its first statement to its COMMIT. Copy and replay therefore never have transactions open on the
 * shadow at the same time, and no lock cycle between them can form on the shadow table (its
 * AUTO-INC lock, which INSERT … SELECT and REPLACE … SELECT hold for a whole statement under
 * innodb_autoinc_lock_mode=1, nor its rows). A waiting writer goes first (replay is not starved).
 * Nothing waits for the gate while holding a server lock: each side takes it before its
 * transaction starts and releases it after COMMIT or ROLLBACK.
 */
export class ShadowGate {
  #readers = 0;
  #writer = false;
  #waitingWriters: Array<() => void> = [];
  #waitingReaders: Array<() => void> = [];

  /** Runs `fn` holding the gate shared (a copy chunk). */
  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#writer || this.#waitingWriters.length > 0) await new Promise<void>((resolve) => this.#waitingReaders.push(resolve));
    else this.#readers++;
    try {
      return await fn();
    } finally {
      this.#readers--;
      this.#wake();
    }
  }

  /** Runs `fn` holding the gate exclusively (a replay batch). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#writer || this.#readers > 0) await new Promise<void>((resolve) => this.#waitingWriters.push(resolve));
    else this.#writer = true;
    try {
      return await fn();
    } finally {
      this.#writer = false;
      this.#wake();
    }
  }

  /** Hands the gate on: to one waiting writer once no reader holds it, else to every waiting reader. */
  #wake(): void {
    if (this.#writer) return;
    if (this.#waitingWriters.length > 0) {
      if (this.#readers > 0) return;
      this.#writer = true;
      this.#waitingWriters.shift()!();
      return;
    }
    const readers = this.#waitingReaders;
    this.#waitingReaders = [];
    this.#readers += readers.length;
    for (const resolve of readers) resolve();
  }
}
