// Replays every recorded history against the current workflow code: any change that is not
// deterministic (a reordered step, a new activity on an old path) fails here.
// Histories are never re-recorded to make a change pass: an old one that no longer replays means a
// running incident would break; gate the change with patched(). Record new scenarios with
// `npm run record-histories` (it writes only the missing ones).
import { readFileSync, readdirSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { expect, inject, test } from 'vitest';
import { quietRuntime } from './support/temporal.ts';

const DIR = new URL('histories/', import.meta.url);
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('the required scenarios are recorded', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'failover.json',
      'manual-failback.json',
      'auto-failback.json',
      'rollback.json',
      'abort.json',
      'duplicate-alerts.json',
      'rollback-primary-down.json',
      'compensation-retry.json',
      'outage-during-failback.json',
      'auto-failback-bounded.json',
      'unconfirmed-alert.json',
      // Pub/Sub incidents from before confirm_primary_down, and from the release that added it
      // without a marker (unconfirmed-alert.json too): both must replay (docs/workflow.md, Upgrades).
      'pubsub-before-confirm-failback.json',
      'pubsub-before-confirm-rollback.json',
      'pubsub-confirm-ungated-failback.json',
      // Automatic failbacks retried before the backoff and the attempt cap existed.
      'auto-failback-retries-before-backoff.json',
      // Every trigger source, and the paths not covered above, recorded with the markers (issue 16).
      'source-pubsub.json',
      'source-watcher.json',
      'source-cli.json',
      'source-ui.json',
      'rollback-primary-serves.json',
      'pubsub-auto-failback-retried.json',
      'continue-as-new-run1.json',
      'continue-as-new-run2.json',
      // Issue 16's compositions, each behind its patch.
      'i16-outage-in-attention.json',
      'i16-retry-primary-down.json',
      'i16-refailover-rolled-back.json',
      'i16-cancel-during-drain.json',
      'i16-abort-after-verified.json',
      'i16-auto-failback-relapse.json',
      'i16-failover-auto-retry.json',
      'i16-outage-skips-pause-wait.json',
      'i16-outage-cancels-cleanup.json',
      // The watcher's gates of issue 16: a config change during an outage keeps the re-trigger
      // (watch-retrigger-after-reconfigure); a verdict kept by expired votes does not re-trigger
      // (watch-retrigger-needs-quorum). scripts/record-watch-histories.ts.
      'watch-reconfigure-down-i16.json',
      'watch-silent-no-retrigger-i16.json',
      // One readiness run (issue 18).
      'readiness.json',
      'i16-cancel-during-pause-wait.json',
      'i16-attention-continue-as-new-run1.json',
      'i16-attention-continue-as-new-run2.json',
    ]),
  );
});

test('every recorded history replays without non-determinism', async () => {
  quietRuntime();
  const histories = files.map((f) => ({ workflowId: f, history: JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) }));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: { code: inject('workflowBundle') } },
    histories,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
});
