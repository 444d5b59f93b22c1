// One merge of the release branch into master in one repo (trickle-down or merge-back). A
// conflict is never half-applied (the adapter aborts it and pushes nothing). Where GitHub is
// configured, a merge that cannot be pushed (a conflict, a protected master under
// `mergeVia: auto`, or every merge under `mergeVia: pull-request`) goes through a pull request
// from a throw-away branch `stratus/merge-v<N>-into-master-<k>` cut from v<N>'s head, so
// resolving a conflict never touches v<N>; the train polls the pull request on a durable timer
// until it is merged (or an operator runs `resume`). Without GitHub the train waits for an operator.
import { patched } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities/release.js';
import type { MergeBranchResult } from '../activities/git.js';
import { legacyMergeRepo } from './release-train-merge-legacy.js';
import type { MergePullRequest, RepoMerge, RepoStatus, TrainConfig, TrainRepo, TrainStatus, TrainWait } from './release-train-types.js';

export type MergeKind = 'trickle-down' | 'merge-back';

/** The patch that brought throw-away merge branches, `mergeVia` and protected-branch pull requests. */
export const MERGE_VIA_PATCH = 'merge-via-pull-request';

/** What a merge needs from the train (see Train in release-train.ts). */
export interface MergeHost {
  readonly version: number;
  readonly branch: string;
  readonly status: TrainStatus;
  readonly config: TrainConfig;
  readonly input: { pullRequestPollMs?: number };
  resumeCount: number;
  addWait(wait: Omit<TrainWait, 'since'>): () => void;
  waitUntil(predicate: () => boolean, timeoutMs?: number): Promise<boolean>;
  step<T>(what: string, fn: () => Promise<T>, repo?: string): Promise<T>;
}

type Acts = Pick<ReleaseActivities, 'mergeBranch' | 'openMergeConflictPullRequest' | 'pullRequestMerged' | 'cutMergeBranch' | 'openMergePullRequest'>;

const DEFAULT_POLL_MS = 10 * 60_000;

/** The k-th throw-away branch for merging `from` into `into`: `stratus/merge-<from>-into-<into>-<k>`. */
export function mergeBranchName(from: string, into: string, k: number): string {
  return `stratus/merge-${from}-into-${into}-${k}`;
}

type Blocked = Extract<MergeBranchResult, { status: 'conflict' | 'protected' | 'mergeable' }>;

export async function mergeRepo(train: MergeHost, git: Acts, short: Acts, repo: TrainRepo, kind: MergeKind): Promise<void> {
  if (!patched(MERGE_VIA_PATCH)) return legacyMergeRepo(train, git, short, repo, kind);
  const { branch, config } = train;
  const into = config.masterBranch;
  const state = train.status.repos.find((r) => r.name === repo.name)!;
  const github = config.github ? repo.github : undefined;
  const via = config.mergeVia ?? 'auto';
  const input = { repo: repo.name, from: branch, into, push: !(github && via === 'pull-request'), onProtected: github && via === 'auto' ? 'report' as const : 'fail' as const };
  const record = (merge: Omit<RepoMerge, 'at' | 'kind'>) => {
    state.lastMerge = { kind, at: new Date(Date.now()).toISOString(), ...merge };
    if (state.state === 'conflict') state.state = train.status.tags.length > 0 ? 'tagged' : 'branched';
  };

  for (;;) {
    const result = await train.step(`${kind}: merging ${branch} into ${into} in ${repo.name}`, () => git.mergeBranch(input), repo.name);
    if (result.status === 'up-to-date' || result.status === 'fast-forward' || result.status === 'merged') {
      record({ status: result.status, sha: result.sha });
      return;
    }
    if (result.status === 'conflict') state.state = 'conflict';
    if (!github) {
      await waitForOperator(train, {
        kind: 'merge-conflict',
        repo: repo.name,
        reason: `${kind} of ${branch} into ${into} in ${repo.name} ${describeBlock(result)} Merge it by hand, then run \`stratus release resume ${train.version}\``,
      });
      continue;
    }
    const pr = await throughPullRequest(train, git, short, { state, github, kind, result });
    if (pr.state === 'merged') {
      record({ status: 'merged-by-pull-request', pullRequest: pr });
      return;
    }
  }
}

function describeBlock(result: Blocked): string {
  if (result.status === 'conflict') return `conflicts in ${result.files.join(', ') || 'some files'}; the merge was aborted and nothing was pushed.`;
  if (result.status === 'protected') return `could not be pushed: ${result.into} is protected (${result.reason}).`;
  return 'goes through a pull request (mergeVia: pull-request).';
}

async function waitForOperator(train: MergeHost, wait: Omit<TrainWait, 'since'>): Promise<void> {
  const seen = train.resumeCount;
  const remove = train.addWait(wait);
  try {
    await train.waitUntil(() => train.resumeCount > seen);
  } finally {
    remove();
  }
}

interface PullRequestMerge {
  state: RepoStatus;
  github: string;
  kind: MergeKind;
  result: Blocked;
}

/**
 * Cuts the next throw-away branch at the release branch's head, opens the pull request from it
 * and waits until it is merged, closed (then for an operator) or the train is resumed.
 */
async function throughPullRequest(train: MergeHost, git: Acts, short: Acts, { state, github, kind, result }: PullRequestMerge): Promise<MergePullRequest> {
  const { branch, config } = train;
  const into = config.masterBranch;
  const k = (state.mergeBranches ?? 0) + 1;
  state.mergeBranches = k;
  const head = mergeBranchName(branch, into, k);
  await train.step(`cutting ${head} from ${branch} in ${state.name}`, () => git.cutMergeBranch({ repo: state.name, branch: head, sha: result.fromSha }), state.name);
  const reason = result.status === 'conflict' ? 'conflict' : result.status === 'protected' ? 'protected' : 'pull-request';
  const opened = await train.step(`opening the pull request ${head} → ${into} in ${github}`, () =>
    short.openMergePullRequest({
      repo: github, head, base: into, from: branch, reason, title: `${kind}: merge ${branch} into ${into}`,
      conflicts: result.status === 'conflict' ? result.files : undefined, marker: `${train.status.workflowId}/${state.name}/${head}`,
    }), state.name);
  const pr: MergePullRequest = { repo: github, number: opened.number, url: opened.url, head, reason, state: opened.state };
  state.pullRequest = pr;
  try {
    if (pr.state !== 'merged') await pollPullRequest(train, short, pr, kind, result);
  } finally {
    state.pullRequest = undefined;
  }
  if (pr.state === 'closed') {
    await waitForOperator(train, {
      kind: 'operator',
      repo: state.name,
      reason: `${kind} of ${branch} into ${into} in ${state.name}: pull request #${pr.number} (${pr.url}) was closed without being merged; merge it by hand, then run \`stratus release resume ${train.version}\` (a new pull request is opened if it still cannot be pushed)`,
      pullRequest: { repo: github, number: pr.number, url: pr.url },
    });
  }
  return pr;
}

/** Polls on a durable timer until the pull request is merged or closed (updates `pr.state`), or the train is resumed. */
async function pollPullRequest(train: MergeHost, short: Acts, pr: MergePullRequest, kind: MergeKind, result: Blocked): Promise<void> {
  const { branch, config } = train;
  const seen = train.resumeCount;
  const remove = train.addWait({
    kind: result.status === 'conflict' ? 'merge-conflict' : 'pull-request',
    repo: result.repo,
    reason:
      `${kind} of ${branch} into ${config.masterBranch} in ${result.repo} ${describeBlock(result)} ` +
      (result.status === 'conflict' ? `Resolve it on ${pr.head} (not on ${branch}) in pull request #${pr.number} (${pr.url})` : `Merge pull request #${pr.number} (${pr.url})`) +
      `: the train goes on once it is merged, or run \`stratus release resume ${train.version}\` to try the merge again`,
    pullRequest: { repo: pr.repo, number: pr.number, url: pr.url },
  });
  try {
    const pollMs = train.input.pullRequestPollMs ?? DEFAULT_POLL_MS;
    while (!(await train.waitUntil(() => train.resumeCount > seen, pollMs))) {
      const check = await train.step(`asking GitHub whether pull request #${pr.number} is merged`, () => short.pullRequestMerged({ repo: pr.repo, number: pr.number }), result.repo);
      if (check.state !== 'open') {
        pr.state = check.state;
        return;
      }
    }
  } finally {
    remove();
  }
}
