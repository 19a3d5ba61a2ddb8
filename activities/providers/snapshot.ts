// What every adapter's `restore` needs: a field of a snapshot taken by its own `read`, or a
// non-retryable error that names the resource and what the snapshot lacks.
import type { Snapshot } from '../../workflows/types.ts';
import { ProviderError } from '../errors.ts';

type Kinds = { boolean: boolean; string: string; number: number };

export function restoreField<K extends keyof Kinds>(
  resource: string,
  before: Snapshot,
  name: string,
  kind: K,
): Kinds[K] {
  const value = before[name];
  if (typeof value !== kind) {
    throw new ProviderError(
      'invalid_config',
      `${resource}: cannot restore from ${JSON.stringify(before)} (no ${kind} ${name})`,
    );
  }
  return value as Kinds[K];
}
