import { defineSearchAttributeKey } from '@temporalio/common';

// Registered on the namespace by the dev-server launcher (and documented for production),
// so the Temporal UI can filter e.g. `FailoverPhase = "on_standby"`.
export const siteAttribute = defineSearchAttributeKey('FailoverSite', 'KEYWORD');
export const phaseAttribute = defineSearchAttributeKey('FailoverPhase', 'KEYWORD');
/** Set by the readiness workflow: "ready" or "not_ready" (docs/readiness.md). */
export const readyAttribute = defineSearchAttributeKey('FailoverReady', 'KEYWORD');

export const SEARCH_ATTRIBUTES = {
  FailoverSite: 'Keyword',
  FailoverPhase: 'Keyword',
  FailoverReady: 'Keyword',
} as const;
