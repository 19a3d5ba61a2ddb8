// What a drill writes to data.json (and renders): every scenario's raw rehearsals and analyses.
import type { RunAnalysis, RunRecord, ScenarioSummary } from './analyze.ts';
import type { Scenario } from './scenario.ts';
import type { SandboxNotification } from '../sandbox/notifications.ts';

export interface DrillResult {
  version: 1;
  startedAt: string;
  finishedAt: string;
  command: string;
  mode: 'sandbox' | 'real';
  /** Cores and 1-minute load average when the drill started (figures on a loaded machine are slower). */
  machine?: { cpus: number; loadAvg: number };
  scenarios: Array<{
    scenario: Scenario;
    description: string;
    notes: string[];
    summary: ScenarioSummary;
    analyses: RunAnalysis[];
    runs: RunRecord[];
    /** What the sandbox's notification endpoint received (absent in older data and against real infrastructure). */
    notifications?: SandboxNotification[];
  }>;
}
