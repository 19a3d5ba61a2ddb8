// Other versions of workflows/ for the upgrade replay test: the previous one, checked out of git
// into a temporary worktree, or a copy of the current one with a planted change; each bundled.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }).trim();

/** A tree of workflows/ on disk, bundled on demand; remove() deletes it. */
export interface WorkflowsTree {
  /** What this version is (a commit, or the planted change). */
  label: string;
  dir: string;
  bundle(): Promise<string>;
  remove(): void;
}

/**
 * The commit whose workflows/ running incidents were started by before the current one: HEAD when
 * the working tree changes workflows/, else the first parent of the last commit (on the first-parent
 * line, so a merge counts as one) that changed it. A reason instead when git history is unavailable.
 */
export function previousWorkflowsCommit(): { commit: string } | { unavailable: string } {
  // Any older release on purpose: UPGRADE_FROM=<commit> sh scripts/run.sh vitest run test/upgrade-replay.test.ts
  if (process.env.UPGRADE_FROM) return { commit: git('rev-parse', process.env.UPGRADE_FROM) };
  try {
    if (git('rev-parse', '--is-shallow-repository') === 'true') {
      return { unavailable: 'a shallow clone (git fetch --unshallow to run it)' };
    }
  } catch {
    return { unavailable: 'not a git checkout' };
  }
  if (git('status', '--porcelain', '--', 'workflows') !== '') return { commit: git('rev-parse', 'HEAD') };
  const last = git('log', '--first-parent', '-1', '--format=%H', '--', 'workflows');
  const parent = git('rev-list', '--max-count=1', '--skip=1', '--first-parent', last);
  if (!parent) return { unavailable: `workflows/ has no version before ${last.slice(0, 8)}` };
  return { commit: parent };
}

/** A temporary git worktree of `commit` under the OS temp dir, with this checkout's node_modules. */
export function checkoutWorkflows(commit: string): WorkflowsTree {
  const dir = join(mkdtempSync(join(tmpdir(), 'failover-prev-')), 'tree');
  git('worktree', 'add', '--detach', dir, commit);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return tree(`commit ${commit.slice(0, 8)}`, dir, () => {
    git('worktree', 'remove', '--force', dir);
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });
}

/** A copy of the current workflows/ with `plant` applied to one file's text (which must change). */
export function plantedWorkflows(label: string, file: string, plant: (text: string) => string): WorkflowsTree {
  const dir = mkdtempSync(join(tmpdir(), 'failover-planted-'));
  cpSync(join(ROOT, 'workflows'), join(dir, 'workflows'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const path = join(dir, 'workflows', file);
  const before = readFileSync(path, 'utf8');
  const after = plant(before);
  if (after === before) throw new Error(`planting "${label}" changed nothing in workflows/${file}`);
  writeFileSync(path, after);
  return tree(label, dir, () => rmSync(dir, { recursive: true, force: true }));
}

function tree(label: string, dir: string, remove: () => void): WorkflowsTree {
  return {
    label,
    dir,
    remove,
    async bundle() {
      const { code } = await bundleWorkflowCode({
        workflowsPath: join(dir, 'workflows', 'index.ts'),
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
      });
      return code;
    },
  };
}

/** Replays each history with a bundle; the failures, one line each (workflow id: error). */
export async function replayFailures(
  bundle: string,
  histories: Parameters<typeof Worker.runReplayHistories>[1],
): Promise<string[]> {
  const failures: string[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: { code: bundle } }, histories)) {
    if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
  }
  return failures;
}
