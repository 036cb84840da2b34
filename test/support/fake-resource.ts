/**
 * A fake resource for lifecycle tests: records every use and close, and records a violation
 * (instead of silently working) when it is used after being closed.
 */
export class FakeResource {
  closed = false;
  uses = 0;
  readonly violations: string[] = [];

  constructor(readonly name: string, private readonly journal: string[]) {}

  /** Simulates a query that takes `ms`; checks for closure at start AND at the end. */
  async use(ms: number): Promise<void> {
    if (this.closed) this.violations.push(`${this.name} used after close`);
    this.uses++;
    await new Promise((r) => setTimeout(r, ms));
    if (this.closed) this.violations.push(`${this.name} closed while in use`);
  }

  async close(ms = 0): Promise<void> {
    if (this.closed) this.violations.push(`${this.name} closed twice`);
    this.closed = true;
    this.journal.push(`close ${this.name}`);
    if (ms) await new Promise((r) => setTimeout(r, ms));
  }
}
