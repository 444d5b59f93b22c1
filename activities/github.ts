// GitHub activities of the release train: admin check before tagging, the release page, the pull
// request opened for a merge conflict and its state. Idempotent through the CodeHost adapter
// (check before create); typed errors become ApplicationFailures with stable types.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type CodeHost, type PullRequestState } from '../clients/github.js';
import {
  AuthError, ForbiddenError, InvalidNameError, NotAdminError, NotPermittedError, RateLimitedError, RepoNotFoundError, RequestRejectedError,
  ServiceUnavailableError, TagMismatchError,
} from '../clients/github-errors.js';

/** What the GitHub activities need. */
export interface GithubActivityDeps {
  codeHost: CodeHost;
}

/** Input of `checkAdminRights`: GitHub repositories as "owner/name". */
export interface CheckAdminRightsInput {
  repos: string[];
}

export interface CheckAdminRightsResult {
  user: string;
  repos: string[];
}

/** Input of `createGithubRelease`. */
export interface CreateGithubReleaseInput {
  repo: string;
  tag: string;
  name: string;
  /** Release notes (Markdown). */
  body: string;
  /**
   * The commit the tag was made at. The release is created at it and GitHub's tag is checked to
   * point at it (non-retryable `TagMismatch` otherwise). Without it GitHub would create a tag it
   * lacks at its default branch head.
   */
  commit?: string;
}

export interface CreateGithubReleaseResult {
  id: number;
  url: string;
  /** False when the release already existed (a retried or replayed step). */
  created: boolean;
}

/** Input of `openMergeConflictPullRequest`: merge `head` into `base` by hand. */
export interface OpenMergeConflictPullRequestInput {
  repo: string;
  head: string;
  base: string;
  title?: string;
  /** Files that conflicted, listed in the description. */
  conflicts?: string[];
  body?: string;
}

export interface OpenMergeConflictPullRequestResult {
  number: number;
  url: string;
  created: boolean;
}

export interface PullRequestMergedInput {
  repo: string;
  number: number;
}

export interface PullRequestMergedResult {
  state: PullRequestState;
  merged: boolean;
}

/** Builds the GitHub activities over a {@link CodeHost}. */
export function createGithubActivities({ codeHost }: GithubActivityDeps) {
  return {
    /** Fails (non-retryable `NotAdmin`, naming user and repos) unless the token's user administers every repo. */
    async checkAdminRights(input: CheckAdminRightsInput): Promise<CheckAdminRightsResult> {
      return guard(async () => {
        const user = await codeHost.currentUser();
        const admin = await Promise.all(input.repos.map((repo) => codeHost.isAdmin(repo)));
        const missing = input.repos.filter((_, i) => !admin[i]);
        if (missing.length === 1) throw new NotAdminError(missing[0], user);
        if (missing.length > 1) {
          throw ApplicationFailure.nonRetryable(
            `GitHub user ${user} is not an admin of ${missing.join(', ')}; only repository admins may tag releases`, 'NotAdmin', { user, repos: missing });
        }
        return { user, repos: input.repos };
      });
    },

    /** Creates the GitHub release for a tag, or returns the existing one. */
    async createGithubRelease(input: CreateGithubReleaseInput): Promise<CreateGithubReleaseResult> {
      return guard(async () => {
        const rel = await codeHost.ensureRelease(input.repo, input.tag, input.name, input.body, { commit: input.commit });
        return { id: rel.id, url: rel.url, created: rel.created };
      });
    },

    /** Opens (or reuses the open) pull request that asks a person to resolve a merge conflict. */
    async openMergeConflictPullRequest(input: OpenMergeConflictPullRequestInput): Promise<OpenMergeConflictPullRequestResult> {
      return guard(async () => {
        const title = input.title ?? `Merge ${input.head} into ${input.base}`;
        const files = input.conflicts?.length ? `\n\nConflicting files:\n${input.conflicts.map((f) => `- \`${f}\``).join('\n')}` : '';
        const body = input.body ?? `stratus could not merge \`${input.head}\` into \`${input.base}\` automatically; the merge was aborted.${files}\n\nResolve the conflict and merge this pull request; the release train resumes when it is merged.`;
        const pr = await codeHost.ensurePullRequest(input.repo, input.head, input.base, title, body);
        return { number: pr.number, url: pr.url, created: pr.created };
      });
    },

    /** Reports whether the pull request was merged (closed without merging counts as not merged). */
    async pullRequestMerged(input: PullRequestMergedInput): Promise<PullRequestMergedResult> {
      return guard(async () => {
        const state = await codeHost.pullRequestState(input.repo, input.number);
        return { state, merged: state === 'merged' };
      });
    },
  };
}

export type GithubActivities = ReturnType<typeof createGithubActivities>;

/**
 * Milliseconds the running activity attempt has left before its start-to-close timeout (Infinity
 * outside an activity): the GitHub adapter sleeps a rate limit in-process only if it fits.
 */
export function activityTimeLeftMs(): number {
  try {
    const info = Context.current().info;
    return info.startToCloseTimeoutMs - (Date.now() - info.currentAttemptScheduledTimestampMs);
  } catch {
    return Infinity;
  }
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toServiceFailure(err);
  }
}

/**
 * Maps the code-host/tracker adapters' typed errors to ApplicationFailures: permanent ones are
 * non-retryable with a stable type, rate limits carry `nextRetryDelay`, outages stay retryable.
 * Details hold names only, never credentials.
 */
export function toServiceFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof NotAdminError) return ApplicationFailure.nonRetryable(err.message, 'NotAdmin', { user: err.user, repos: [err.repo] });
  if (err instanceof AuthError) return ApplicationFailure.nonRetryable(err.message, 'Unauthorized', { service: err.service, baseUrl: err.baseUrl });
  if (err instanceof RepoNotFoundError) return ApplicationFailure.nonRetryable(err.message, 'RepoNotFound', { repo: err.repo });
  if (err instanceof TagMismatchError) {
    return ApplicationFailure.nonRetryable(err.message, 'TagMismatch', { repo: err.repo, tag: err.tag, expected: err.expected, actual: err.actual });
  }
  if (err instanceof NotPermittedError) return ApplicationFailure.nonRetryable(err.message, 'NotPermitted', { repo: err.repo });
  if (err instanceof ForbiddenError) return ApplicationFailure.nonRetryable(err.message, 'Forbidden', { repo: err.repo });
  if (err instanceof InvalidNameError) return ApplicationFailure.nonRetryable(err.message, 'InvalidName', { field: err.field, value: err.value });
  if (err instanceof RequestRejectedError) return ApplicationFailure.nonRetryable(err.message, 'RequestRejected', { service: err.service, status: err.status });
  if (err instanceof RateLimitedError) {
    return ApplicationFailure.create({
      message: err.message, type: 'RateLimited', nonRetryable: false, nextRetryDelay: `${err.retryAfterSeconds}s`,
      details: [{ service: err.service, retryAfterSeconds: err.retryAfterSeconds }],
    });
  }
  if (err instanceof ServiceUnavailableError) return ApplicationFailure.retryable(err.message, 'ServiceUnavailable', { service: err.service, status: err.status });
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.retryable(message, err instanceof Error ? err.name : 'Error');
}
