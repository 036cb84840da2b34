import { SluiceError } from '../errors.ts';

/** `migrate cleanup` found a running migration of the table (its advisory lock is held): nothing was touched. */
export class MigrationRunningError extends SluiceError {
  constructor(table: string, holder: number | null) {
    super('MIGRATION_RUNNING', `a migration of ${table} is running${holder ? ` (connection ${holder} holds its lock)` : ''}: stop it (Ctrl-C or \`migrate ctl abort\`) before cleaning up`);
  }
}
