// Git activities of the release train: cut the release branch, tag a release, merge branches.
// Repos are worked in parallel; progress is heartbeated so a retried attempt skips repos already
// done; typed adapter errors become non-retryable ApplicationFailures with stable types.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  BranchConflictError,
  InvalidNameError,
  ProtectedBranchError,
  PushRejectedError,
  RefNotFoundError,
  RepoUnreachableError,
  TagConflictError,
  UnknownRepoError,
  type MergeResult,
  type Vcs,
} from '../clients/git.js';
import { releaseBranchName, releaseTagName, renderTagMessage, validatePatchNumber, validateVersion } from '../workflows/release-names.js';

/** What the git activities need: the version-control port. */
export interface GitActivityDeps {
  vcs: Vcs;
}

/** Input of `cutReleaseBranch`: branch `v<version>` from `from` (default `master`) in each repo. */
export interface CutReleaseBranchInput {
  version: number | string;
  /** Names of the repos released from a release branch. */
  repos: string[];
  from?: string;
}

/** What happened in one repo. */
export interface RepoRefOutcome {
  repo: string;
  status: 'created' | 'exists';
  sha: string;
}

export interface CutReleaseBranchResult {
  branch: string;
  repos: RepoRefOutcome[];
}

/** Input of `tagRelease`: tag `v<version>-<n>` on each repo's `ref` (its release branch or master). */
export interface TagReleaseInput {
  version: number | string;
  n: number | string;
  codename?: string;
  repos: Array<{ repo: string; ref: string }>;
  /** The tag message template, e.g. `v{version} ({codename}) release {n}.` */
  message: string;
}

export interface TagReleaseResult {
  tag: string;
  message: string;
  repos: RepoRefOutcome[];
}

/** Input of `mergeBranch` (trickle-down `v<N>` → master, or merge-back after the release). */
export interface MergeBranchInput {
  repo: string;
  from: string;
  into: string;
  /** Merge commit message; default `Merge branch '<from>' into <into>`. */
  message?: string;
  /**
   * What to do when the origin refuses the push because `into` is protected: 'fail' (default) is
   * a non-retryable `ProtectedBranch` failure; 'report' returns status 'protected' (nothing changed).
   */
  onProtected?: 'fail' | 'report';
  /** False: push nothing, only report 'up-to-date', 'conflict' or 'mergeable' (for `mergeVia: pull-request`). */
  push?: boolean;
}

export type MergeBranchResult = { repo: string; from: string; into: string } & MergeResult;

/** Input of `cutMergeBranch`: the throw-away branch a merge pull request comes from. */
export interface CutMergeBranchInput {
  repo: string;
  /** e.g. `stratus/merge-v31-into-master-1`. */
  branch: string;
  /** The commit it starts at: the release branch's head the merge was tried with. */
  sha: string;
}

/** Heartbeat details of a multi-repo activity: which repos are done, for the step `key`. */
interface Progress {
  key: string;
  done: RepoRefOutcome[];
}

/** Builds the git activities over a {@link Vcs}. */
export function createGitActivities({ vcs }: GitActivityDeps) {
  return {
    async cutReleaseBranch(input: CutReleaseBranchInput): Promise<CutReleaseBranchResult> {
      const branch = guard(() => releaseBranchName(input.version));
      const from = input.from ?? 'master';
      const repos = await forEachRepo(`branch ${branch}`, input.repos, (repo, signal) =>
        vcs.ensureBranch(repo, branch, from, { signal }).then((r) => ({ repo, status: r.status, sha: r.sha })),
      );
      return { branch, repos };
    },

    async tagRelease(input: TagReleaseInput): Promise<TagReleaseResult> {
      const { tag, message } = guard(() => ({
        tag: releaseTagName(validateVersion(input.version), validatePatchNumber(input.n)),
        message: renderTagMessage(input.message, { version: input.version, n: input.n, codename: input.codename }, 'message'),
      }));
      const refs = new Map(input.repos.map((r) => [r.repo, r.ref]));
      const repos = await forEachRepo(`tag ${tag}`, [...refs.keys()], (repo, signal) =>
        vcs.ensureAnnotatedTag(repo, tag, refs.get(repo)!, message, { signal }).then((r) => ({ repo, status: r.status, sha: r.sha })),
      );
      return { tag, message, repos };
    },

    async mergeBranch(input: MergeBranchInput): Promise<MergeBranchResult> {
      const message = input.message ?? `Merge branch '${input.from}' into ${input.into}`;
      let result: MergeResult;
      try {
        result = await vcs.merge(input.repo, input.from, input.into, message, { signal: activityContext()?.cancellationSignal, push: input.push !== false });
      } catch (error) {
        throw toFailure(error);
      }
      if (result.status === 'protected' && input.onProtected !== 'report') {
        throw toFailure(new ProtectedBranchError(input.repo, `refs/heads/${input.into}`, result.reason));
      }
      return { repo: input.repo, from: input.from, into: input.into, ...result };
    },

    /**
     * Creates (or finds) the throw-away branch a merge pull request comes from, at the release
     * branch's head: a conflict is then resolved on it, never on the release branch itself.
     */
    async cutMergeBranch(input: CutMergeBranchInput): Promise<RepoRefOutcome> {
      try {
        const r = await vcs.ensureBranch(input.repo, input.branch, input.sha, { signal: activityContext()?.cancellationSignal });
        return { repo: input.repo, status: r.status, sha: r.sha };
      } catch (error) {
        throw toFailure(error);
      }
    },
  };
}

/** The activity context when running in one (a worker or MockActivityEnvironment), else undefined. */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` for every repo in parallel. Repos recorded as done in the heartbeat details of a
 * previous attempt of the same step are skipped; each finished repo is heartbeated. If any repo
 * fails, the failure (non-retryable if any is) lists every failed repo, and the done ones stay recorded.
 */
async function forEachRepo(key: string, repos: readonly string[], fn: (repo: string, signal?: AbortSignal) => Promise<RepoRefOutcome>): Promise<RepoRefOutcome[]> {
  const ctx = activityContext();
  const previous = ctx?.info.heartbeatDetails as Progress | undefined;
  const done = new Map<string, RepoRefOutcome>(previous?.key === key ? previous.done.map((d) => [d.repo, d]) : []);
  const failures: Array<{ repo: string; error: unknown }> = [];
  await Promise.all(
    [...new Set(repos)]
      .filter((repo) => !done.has(repo))
      .map(async (repo) => {
        try {
          done.set(repo, await fn(repo, ctx?.cancellationSignal));
          ctx?.heartbeat({ key, done: [...done.values()] } satisfies Progress);
        } catch (error) {
          failures.push({ repo, error });
        }
      }),
  );
  if (failures.length > 0) throw combineFailures(key, failures, [...done.values()]);
  return repos.filter((repo, i) => repos.indexOf(repo) === i).map((repo) => done.get(repo)!);
}

function combineFailures(key: string, failures: Array<{ repo: string; error: unknown }>, done: RepoRefOutcome[]): ApplicationFailure {
  const mapped = failures.map(({ repo, error }) => ({ repo, failure: toFailure(error) }));
  const primary = mapped.find((m) => m.failure.nonRetryable) ?? mapped[0];
  if (mapped.length === 1 && done.length === 0) return primary.failure;
  const message = mapped.length === 1 ? primary.failure.message : `${key} failed in ${mapped.length} repos: ${mapped.map((m) => m.failure.message).join('; ')}`;
  const details = {
    ...(primary.failure.details?.[0] as object | undefined),
    done,
    failures: mapped.map((m) => ({ repo: m.repo, type: m.failure.type, message: m.failure.message })),
  };
  return ApplicationFailure.create({ message, type: primary.failure.type ?? undefined, nonRetryable: primary.failure.nonRetryable ?? false, details: [details] });
}

/** Runs pure validation, turning an {@link InvalidNameError} into a non-retryable failure. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toFailure(error);
  }
}

/** Maps the adapter's typed errors to ApplicationFailures with stable types; others pass through (retryable). */
export function toFailure(error: unknown): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof TagConflictError) {
    const { repo, tag, existingSha, wantedSha } = error;
    return ApplicationFailure.nonRetryable(error.message, 'TagConflict', { repo, tag, existingSha, wantedSha });
  }
  if (error instanceof BranchConflictError) {
    const { repo, branch, existingSha, wantedSha } = error;
    return ApplicationFailure.nonRetryable(error.message, 'BranchConflict', { repo, branch, existingSha, wantedSha });
  }
  if (error instanceof RepoUnreachableError) return ApplicationFailure.nonRetryable(error.message, 'RepoUnreachable', { repo: error.repo, url: error.url });
  if (error instanceof InvalidNameError) return ApplicationFailure.nonRetryable(error.message, 'InvalidName', { field: error.field, value: error.value });
  if (error instanceof UnknownRepoError) return ApplicationFailure.nonRetryable(error.message, 'InvalidName', { field: 'repo', value: error.repo });
  if (error instanceof RefNotFoundError) return ApplicationFailure.nonRetryable(error.message, 'RefNotFound', { repo: error.repo, ref: error.ref });
  if (error instanceof ProtectedBranchError) return ApplicationFailure.nonRetryable(error.message, 'ProtectedBranch', { repo: error.repo, ref: error.ref });
  if (error instanceof PushRejectedError) return ApplicationFailure.retryable(error.message, 'PushRejected', { repo: error.repo, ref: error.ref });
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.retryable(message, error instanceof Error ? error.name : 'Error');
}
