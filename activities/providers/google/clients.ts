// The Google SDK clients the levers share: one per process, made on first use, always over the
// REST transport, pointed where the config's `apis.google` says.
import { AlertPolicyServiceClient } from '@google-cloud/monitoring';
import { ServicesClient } from '@google-cloud/run';
import type { BuildContext } from '../descriptor.ts';
import { googleClientOptions } from './options.ts';

/** Bound on one Google API call: `apis.google.timeout`, default 10 s. */
export const GOOGLE_CALL_TIMEOUT_MS = 10_000;

export const googleTimeoutMs = (ctx: BuildContext): number => ctx.apis.google?.timeout ?? GOOGLE_CALL_TIMEOUT_MS;

export const cloudRunClient = (ctx: BuildContext): ServicesClient =>
  ctx.shared('google.run.services', () => new ServicesClient(googleClientOptions(ctx.apis.google)));

export const alertPolicyClient = (ctx: BuildContext): AlertPolicyServiceClient =>
  ctx.shared(
    'google.monitoring.alertPolicies',
    () => new AlertPolicyServiceClient(googleClientOptions(ctx.apis.google)),
  );
