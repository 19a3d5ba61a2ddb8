// Helpers for suites that drive the real SDK clients against the sandbox's cloud API simulator.
import { AlertPolicyServiceClient } from '@google-cloud/monitoring';
import { ServicesClient } from '@google-cloud/run';
import type Cloudflare from 'cloudflare';
import { expect } from 'vitest';
import { ProviderError, toFailure } from '../../activities/errors.ts';
import { cloudflareClient } from '../../activities/providers/cloudflare/client.ts';
import { googleClientOptions } from '../../activities/providers/google/options.ts';
import type { AuditEntry } from '../../sandbox/cloud-api/types.ts';
import type { SandboxWorld } from '../../sandbox/world.ts';

export interface SandboxClients {
  run: ServicesClient;
  monitoring: AlertPolicyServiceClient;
  cloudflare: Cloudflare;
  close(): Promise<void>;
}

/** The real SDK clients, pointed at the world's simulator (REST transport, no credentials). */
export function sandboxClients(world: SandboxWorld, opts: { timeoutMs?: number; token?: string } = {}): SandboxClients {
  const run = new ServicesClient(googleClientOptions(world.urls.google));
  const monitoring = new AlertPolicyServiceClient(googleClientOptions(world.urls.google));
  const cloudflare = cloudflareClient({
    token: opts.token ?? world.env.CLOUDFLARE_API_TOKEN,
    baseURL: world.urls.cloudflare,
    timeoutMs: opts.timeoutMs ?? 5_000,
  });
  return {
    run,
    monitoring,
    cloudflare,
    async close() {
      await run.close();
      await monitoring.close();
    },
  };
}

/** Awaits a rejection and returns it as a ProviderError (failing the test otherwise). */
export async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the call to fail with a ProviderError').toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** Whether Temporal would retry the failure this error becomes. */
export function retryable(err: ProviderError): boolean {
  return !toFailure(err, 1).nonRetryable;
}

/** Mutations that changed the state, per resource: "how many times was each thing applied". */
export function effectiveMutations(audit: AuditEntry[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of audit) {
    if (!e.effect || e.op === 'concurrentEdit') continue;
    (out[e.resource] ??= []).push(
      e.changes.map((c) => `${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join(', '),
    );
  }
  return out;
}
