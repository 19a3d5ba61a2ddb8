// The search attributes the incident workflow sets (workflows/search-attributes.ts) must exist on
// the namespace before the first incident, or its first upsert fails the workflow task. The worker
// checks at start through the operator service: on a dev server (SQLite visibility) it registers
// them; elsewhere it stops with the exact command to run.
import type { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const KEYWORD = 2;

export class SearchAttributesMissing extends Error {
  override readonly name = 'SearchAttributesMissing';
}

/** What to run to register the attributes, self-hosted (temporal CLI) and on Temporal Cloud (tcld). */
function registerCommands(namespace: string, names: string[]): string[] {
  const cli = names.map((n) => `--name ${n} --type Keyword`).join(' ');
  const cloud = names.map((n) => `--sa "${n}=Keyword"`).join(' ');
  return [
    `temporal operator search-attribute create --namespace ${namespace} ${cli}`,
    `tcld namespace search-attributes add --namespace ${namespace} ${cloud}   (Temporal Cloud)`,
  ];
}

/** A dev server (the CLI's `temporal server start-dev`) keeps visibility in SQLite. */
export async function isDevServer(connection: NativeConnection): Promise<boolean> {
  const info = await connection.workflowService.getClusterInfo({});
  return /sqlite/i.test(info.visibilityStore ?? '') || /sqlite/i.test(info.persistenceStore ?? '');
}

export type SearchAttributesCheck = 'present' | 'registered';

/**
 * Makes sure FailoverSite and FailoverPhase (Keyword) exist on the namespace: registers the
 * missing ones when `register` (a dev server), else throws naming them and the command to run.
 */
export async function ensureSearchAttributes(
  connection: NativeConnection,
  namespace: string,
  opts: { register: boolean },
): Promise<SearchAttributesCheck> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = listed.customAttributes ?? {};
  const names = Object.keys(SEARCH_ATTRIBUTES);
  const wrongType = names.filter((n) => custom[n] !== undefined && custom[n] !== KEYWORD);
  if (wrongType.length > 0) {
    throw new SearchAttributesMissing(
      `search attribute(s) ${wrongType.join(', ')} on namespace ${namespace} are not of type Keyword; the incident workflow needs ${names.join(' and ')} as Keyword`,
    );
  }
  const missing = names.filter((n) => custom[n] === undefined);
  if (missing.length === 0) return 'present';
  if (!opts.register) {
    throw new SearchAttributesMissing(
      `search attribute(s) ${missing.join(', ')} (Keyword) are not registered on namespace ${namespace}: the first incident would fail. Register them:\n  ${registerCommands(namespace, missing).join('\n  ')}`,
    );
  }
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((n) => [n, KEYWORD])),
  });
  return 'registered';
}
