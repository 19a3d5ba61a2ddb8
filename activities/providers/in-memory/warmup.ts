// The warm-up lever of a site simulated in memory (standby.warmup): the standby's minimum
// instances as a number in the world's state, with its faults and its audit log, like the others.
import { ProviderError } from '../../errors.ts';
import { restoreField } from '../snapshot.ts';
import type { Change, Warmup } from '../types.ts';
import { type InMemoryWorld, type Mutation, callOrigin } from './world.ts';

export function inMemoryWarmup(world: InMemoryWorld, site: string, minInstances: number): Warmup {
  const resource = `in-memory warmup of ${site}`;
  const read = () => ({ minInstanceCount: world.state(site).minInstances ?? 0 });
  const write = async (to: number, verb: string): Promise<Change> => {
    const before = read();
    if (before.minInstanceCount === to) return { changed: false, before, summary: `minimum instances already ${to}` };
    let applied: Mutation | undefined;
    return world.call(
      site,
      'warmup',
      () => {
        const s = world.state(site);
        if ((s.minInstances ?? 0) === to) return { changed: false, before, summary: `minimum instances already ${to}` };
        const from = String(s.minInstances ?? 0);
        s.minInstances = to;
        const by = callOrigin();
        applied = { site, op: 'warmup', from, to: String(to), at: Date.now(), ...(by && { by }), after: { ...s } };
        world.mutations.push(applied);
        return { changed: true, before, summary: `${verb} minimum instances: ${from} → ${to}` };
      },
      () => void (applied && (applied.replyLost = true)),
    );
  };
  if (!Number.isInteger(minInstances) || minInstances < 1)
    throw new ProviderError('invalid_config', `${resource}: minInstances must be a whole number ≥ 1`);
  return {
    resource,
    read: async () => read(),
    isAt: (_position, snapshot) =>
      typeof snapshot.minInstanceCount === 'number' && snapshot.minInstanceCount >= minInstances,
    // Never lowers a higher minimum, like the Cloud Run lever.
    set: async () =>
      (world.state(site).minInstances ?? 0) >= minInstances
        ? { changed: false, before: read(), summary: `already keeps ${read().minInstanceCount} warm` }
        : write(minInstances, 'raised'),
    restore: (before) => write(restoreField(resource, before, 'minInstanceCount', 'number'), 'restored'),
  };
}
