/** What every measured tool gets and returns. */
import type { Pool } from 'mysql2/promise';
import type { ServerInfo } from '../scripts/sandbox.ts';
import type { Mode, ToolName } from './args.ts';
import type { BlockerOutcome } from './blocker.ts';
import type { LoadSummary } from './load-stats.ts';

export interface ToolEnv {
  server: ServerInfo;
  pool: Pool;
  /** The ALTER clause (`ENGINE=InnoDB`). */
  alter: string;
  /** Where this run's log goes. */
  logFile: string;
  timeoutMs: number;
}

/** What a tool measured about itself. */
export interface ToolMeasure {
  startedAt: number;
  endedAt: number;
  endToEndMs: number;
  copyMs?: number;
  /** How long writes to the table were blocked by the swap (or by the whole statement, offline). */
  cutoverLockMs?: number;
  /** Peak RSS of the migrator process in KiB (none for statements run by the server). */
  peakRssKb?: number;
  /** Sluice: ms per phase from its events, plus 'startup' (spawn to first event) and 'exit' (done to exit). */
  phases?: Record<string, number>;
  /** The table that holds the result, for the idle check against the seed. */
  resultTable: string;
}

export interface ToolRun extends Partial<ToolMeasure> {
  tool: ToolName;
  mode: Mode;
  repeat: number;
  ok: boolean;
  error?: string;
  /** Idle runs: the result has exactly the seed's rows (digest over the shared columns). */
  verified?: boolean;
  /** Loaded runs: the load's latency while the tool ran (and 1 s after). */
  load?: LoadSummary;
  /** Blocked runs: whether the idle blocker was killed, and when. */
  blocker?: BlockerOutcome;
}

export type Tool = (env: ToolEnv) => Promise<ToolMeasure>;
