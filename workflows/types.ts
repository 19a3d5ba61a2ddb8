// Plain data shared by both workflows, the activities and the starters. No behaviour, no I/O.

/** Where the public URL sends users. */
export type Target = 'primary' | 'standby';

/** A provider's observable state, enough to restore it exactly. Never holds secrets. */
export type Snapshot = Record<string, string | number | boolean | null>;

/** What every step activity returns. */
export interface StepOutcome {
  changed: boolean;
  summary: string;
  /** State found before the step acted; compensation restores it. */
  before: Snapshot;
  /** Activity attempt that succeeded (1 = first try). */
  attempt: number;
}

export type TriggerSource = 'pubsub' | 'watcher' | 'cli' | 'ui' | 'test';

export interface AlertOpened {
  /** Deduplication key: Cloud Monitoring incident_id, or a watcher/CLI generated id. */
  alertId: string;
  source: TriggerSource;
  summary?: string;
  /** When the alert condition started (ISO 8601), as the source saw it. */
  startedAt?: string;
  /** When the source published it (ISO 8601); used for latency measurement. */
  publishedAt?: string;
}

export interface AlertClosed {
  alertId: string;
  source: TriggerSource;
  endedAt?: string;
}

export interface Actor {
  by: string;
  reason?: string;
}
