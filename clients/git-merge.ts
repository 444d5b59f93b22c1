// Merging one branch into another in a scratch worktree of the mirror: fast-forward when
// possible, else a merge commit; a conflict is aborted and reported, and nothing is pushed.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GitCommandError } from './git-errors.js';
import { type GitRunner, type RunOptions } from './git-mirror.js';

/** Outcome of a merge; `sha` is the new head of `into` (or its unchanged head), `fromSha` the head of `from` merged. */
export type MergeResult = { fromSha: string } & (
  | { status: 'up-to-date'; sha: string }
  | { status: 'fast-forward'; sha: string }
  | { status: 'merged'; sha: string }
  | { status: 'conflict'; files: string[]; sha: string }
  /** Asked not to push: the merge would go through (fast-forward or merge commit); nothing changed. */
  | { status: 'mergeable'; sha: string }
  /** The origin refused the push because `into` is protected; nothing changed. */
  | { status: 'protected'; sha: string; reason: string }
);

interface MergeContext {
  git: GitRunner;
  mirror: string;
  cacheDir: string;
  options: RunOptions;
}

interface MergeRequest {
  from: string;
  fromSha: string;
  into: string;
  intoSha: string;
  message: string;
}

/**
 * Merges `fromSha` into `intoSha`. Already contained → 'up-to-date'; `into` behind → pushes a
 * fast-forward; otherwise merges in a detached scratch worktree and pushes the merge commit.
 * On conflict the merge is aborted and the conflicted files are returned; `push` is not called.
 * With `push` null nothing is pushed: a merge that would go through is 'mergeable'.
 */
export async function mergeInWorktree(ctx: MergeContext, req: MergeRequest, push: ((sha: string) => Promise<void>) | null): Promise<MergeResult> {
  const { git, mirror, options } = ctx;
  const fromSha = req.fromSha;
  const { ok, stdout } = await git.test(mirror, ['merge-base', req.fromSha, req.intoSha], options);
  const base = ok ? stdout.trim() : null; // null: unrelated histories, which git merge refuses below
  if (base === req.fromSha) return { status: 'up-to-date', sha: req.intoSha, fromSha };
  if (base === req.intoSha) {
    if (!push) return { status: 'mergeable', sha: req.intoSha, fromSha };
    await push(req.fromSha);
    await git.run(mirror, ['update-ref', `refs/heads/${req.into}`, req.fromSha, req.intoSha], options);
    return { status: 'fast-forward', sha: req.fromSha, fromSha };
  }

  const scratch = await mkdtemp(join(ctx.cacheDir, '.merge-'));
  const worktree = join(scratch, 'worktree');
  try {
    await git.run(mirror, ['worktree', 'add', '--quiet', '--detach', worktree, req.intoSha], options);
    try {
      await git.run(worktree, ['merge', '--no-ff', '--no-edit', '-m', req.message, req.fromSha], options);
    } catch (error) {
      if (!(error instanceof GitCommandError)) throw error;
      const files = (await git.run(worktree, ['diff', '--name-only', '--diff-filter=U'], options)).split('\n').filter(Boolean);
      await git.test(worktree, ['merge', '--abort']);
      if (files.length === 0) throw error; // not a conflict: some other failure of git merge
      return { status: 'conflict', files, sha: req.intoSha, fromSha };
    }
    if (!push) return { status: 'mergeable', sha: req.intoSha, fromSha };
    const sha = (await git.run(worktree, ['rev-parse', 'HEAD'], options)).trim();
    await push(sha);
    await git.run(mirror, ['update-ref', `refs/heads/${req.into}`, sha, req.intoSha], options);
    return { status: 'merged', sha, fromSha };
  } finally {
    await git.test(mirror, ['worktree', 'remove', '--force', worktree]).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
    await git.test(mirror, ['worktree', 'prune']).catch(() => undefined);
  }
}
