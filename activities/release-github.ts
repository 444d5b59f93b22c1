// GitHub steps of the release train beyond releases: the pull request a merge goes through when
// master is protected or conflicts (from a throw-away branch, found again by its marker on a
// retry), and the approver rule (the person approving must administer every repo to be tagged).
import { ApplicationFailure } from '@temporalio/common';
import { type CodeHost } from '../clients/github.js';
import { toServiceFailure } from './github.js';

/** What the release GitHub activities need. */
export interface ReleaseGithubActivityDeps {
  codeHost: CodeHost;
}

/** Why a merge goes through a pull request. */
export type MergePullRequestReason = 'conflict' | 'protected' | 'pull-request';

/** Input of `openMergePullRequest`: merge `head` (a throw-away branch) into `base`. */
export interface OpenMergePullRequestInput {
  /** "owner/name" */
  repo: string;
  head: string;
  base: string;
  title: string;
  /** The release branch `head` was cut from (for the description). */
  from: string;
  reason: MergePullRequestReason;
  /** Files that conflicted, listed in the description. */
  conflicts?: string[];
  /** Idempotency key, derived from the workflow id and `head`: a retry finds the first attempt's pull request. */
  marker: string;
}

export interface OpenMergePullRequestResult {
  number: number;
  url: string;
  state: 'open' | 'merged' | 'closed';
  created: boolean;
}

/** Input of `checkApproverRights`: may `login` tag these repositories? */
export interface CheckApproverRightsInput {
  login: string;
  /** "owner/name" of every repository to be tagged. */
  repos: string[];
}

export interface CheckApproverRightsResult {
  login: string;
  repos: string[];
}

function describe(input: OpenMergePullRequestInput): string {
  const why: Record<MergePullRequestReason, string> = {
    conflict: `stratus could not merge \`${input.from}\` into \`${input.base}\` automatically: it conflicts${
      input.conflicts?.length ? ` in\n\n${input.conflicts.map((f) => `- \`${f}\``).join('\n')}` : ''}.\n\n` +
      `Resolve the conflict on this branch (\`${input.head}\`, cut from \`${input.from}\`; \`${input.from}\` itself stays as it is), then merge this pull request.`,
    protected: `\`${input.base}\` is protected, so stratus could not push the merge of \`${input.from}\` into it. Merge this pull request (\`${input.head}\` was cut from \`${input.from}\`).`,
    'pull-request': `stratus merges \`${input.from}\` into \`${input.base}\` through pull requests (\`release.mergeVia: pull-request\`). Merge this pull request (\`${input.head}\` was cut from \`${input.from}\`).`,
  };
  return `${why[input.reason]}\n\nThe release train goes on once it is merged.`;
}

/** Builds the activities over a {@link CodeHost}. */
export function createReleaseGithubActivities({ codeHost }: ReleaseGithubActivityDeps) {
  return {
    /** Opens the merge pull request from the throw-away branch, or returns the one an earlier attempt opened. */
    async openMergePullRequest(input: OpenMergePullRequestInput): Promise<OpenMergePullRequestResult> {
      try {
        const pr = await codeHost.createPullRequest(input.repo, { head: input.head, base: input.base, title: input.title, body: describe(input), marker: input.marker });
        return { number: pr.number, url: pr.url, state: pr.state, created: pr.created };
      } catch (error) {
        throw toServiceFailure(error);
      }
    },

    /**
     * Fails (non-retryable `NotAdmin`, naming the login and every repository it lacks) unless
     * `login` has admin permission on every repository: only repository admins may tag releases.
     */
    async checkApproverRights(input: CheckApproverRightsInput): Promise<CheckApproverRightsResult> {
      let roles: string[];
      try {
        roles = await Promise.all(input.repos.map((repo) => codeHost.collaboratorPermission(repo, input.login)));
      } catch (error) {
        throw toServiceFailure(error);
      }
      const missing = input.repos.filter((_, i) => roles[i] !== 'admin');
      if (missing.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `${input.login} may not approve this release: only admins of the repositories to be tagged may, and ${input.login} is not an admin of ${missing.join(', ')}`,
          'NotAdmin', { user: input.login, repos: missing });
      }
      return { login: input.login, repos: input.repos };
    },
  };
}

export type ReleaseGithubActivities = ReturnType<typeof createReleaseGithubActivities>;
