// The patch IDs of the incident workflow's changes of issue 16. Each behaviour below alters the
// command sequence of a running incident, so it runs only where patched() says the run started on
// (or reached the point in) code that has it; recorded histories replay on their old path.
// docs/workflow.md "Changing workflow code" says when each may be deprecated.

/** A new outage in needs_attention after a failed cleanup (users on the primary) fails over again. */
export const OUTAGE_IN_ATTENTION = 'outage-in-attention-fails-over';
/** A human's retry of a failed cleanup first checks the primary; a dead one fails over again. */
export const RETRY_CHECKS_PRIMARY = 'cleanup-retry-checks-primary';
/** A re-failover that ends rolled back restores the pre-incident snapshots (standby, monitor). */
export const REFAILOVER_RESTORES = 'refailover-restores-before';
/** A new outage that meets an automatic failback counts as a failed one (backoff, cap). */
export const RELAPSE_COUNTS = 'auto-failback-relapse-counts';
/** An abort once the failback verified the primary is refused: nothing is in flight to undo. */
export const ABORT_AFTER_VERIFIED = 'abort-refused-after-verified';
/** A new outage after the failback's verification no longer waits for a monitor pause still retrying. */
export const OUTAGE_SKIPS_PAUSE_WAIT = 'outage-skips-pause-wait';
/** A failover undone with the primary down is retried on its own after a backoff (policy.failoverRetry). */
export const FAILOVER_AUTO_RETRY = 'failover-auto-retry';
/** A new outage during the failback's cleanup cancels it (the standby stays open for the failover again). */
export const OUTAGE_CANCELS_CLEANUP = 'outage-cancels-cleanup';
/** A cancel during the drain no longer cuts it short: the drain and the cleanup finish. */
export const DRAIN_SURVIVES_CANCEL = 'drain-survives-cancel';
/** A cancel while waiting for the monitor pause after the failback's verification waits on: the cleanup finishes. */
export const PAUSE_WAIT_SURVIVES_CANCEL = 'pause-wait-survives-cancel';
/** A wait in needs_attention after a failed failover continues as new when suggested (the history stays bounded). */
export const ATTENTION_CONTINUES_AS_NEW = 'attention-continues-as-new';
/** In needs_attention after a cleanup that left the monitor paused, the incident watches the primary itself. */
export const WATCH_WHILE_MONITOR_PAUSED = 'watch-while-monitor-paused';
/** A wait in needs_attention after a failed cleanup continues as new when suggested (the steps left carried). */
export const CLEANUP_CONTINUES_AS_NEW = 'cleanup-continues-as-new';
/** A wait in needs_attention on undo steps continues as new when suggested (the steps carried as data). */
export const UNDO_CONTINUES_AS_NEW = 'undo-wait-continues-as-new';
/** Each phase change is notified to the configured channels (a child workflow, started and abandoned). */
export const NOTIFY_PHASE = 'notify-phase';
/** A site with standby.warmup raises the standby's minimum instances before opening it (warm_standby, cool_standby). */
export const WARM_STANDBY = 'warm-standby';
