// The merge of a train as it ran before throw-away branches and `mergeVia` (patch
// MERGE_VIA_PATCH): kept unchanged so recorded histories replay. A conflict opened its pull
// request from the release branch itself; no protected-branch handling.
import type { ReleaseActivities } from '../activities/release.js';
import type { MergeHost, MergeKind } from './release-train-merge.js';
import type { RepoMerge, TrainRepo } from './release-train-types.js';

type Acts = Pick<ReleaseActivities, 'mergeBranch' | 'openMergeConflictPullRequest' | 'pullRequestMerged'>;

const DEFAULT_POLL_MS = 10 * 60_000;

/** The pre-patch merge (see the file comment). */
export async function legacyMergeRepo(train: MergeHost, git: Acts, short: Acts, repo: TrainRepo, kind: MergeKind): Promise<void> {
  const { branch, config } = train;
  const into = config.masterBranch;
  const state = train.status.repos.find((r) => r.name === repo.name);
  const record = (merge: Omit<RepoMerge, 'at' | 'kind'>) => {
    if (!state) return;
    state.lastMerge = { kind, at: new Date(Date.now()).toISOString(), ...merge };
    if (state.state === 'conflict') state.state = train.status.tags.length > 0 ? 'tagged' : 'branched';
  };
  const merge = () => train.step(`${kind}: merging ${branch} into ${into} in ${repo.name}`, () => git.mergeBranch({ repo: repo.name, from: branch, into }), repo.name);

  let result = await merge();
  while (result.status === 'conflict') {
    if (state) state.state = 'conflict';
    const files = result.files;
    const github = config.github ? repo.github : undefined;
    const pr = github
      ? await train.step(`opening a pull request for the ${kind} conflict in ${repo.name}`, () =>
          short.openMergeConflictPullRequest({ repo: github, head: branch, base: into, conflicts: files, title: `${kind}: merge ${branch} into ${into}` }), repo.name)
      : undefined;
    const seen = train.resumeCount;
    const remove = train.addWait({
      kind: 'merge-conflict',
      repo: repo.name,
      reason:
        `${kind} of ${branch} into ${into} in ${repo.name} conflicts in ${files.join(', ') || 'some files'}; the merge was aborted and nothing was pushed. ` +
        (pr ? `Resolve it in pull request #${pr.number} (${pr.url}): the train goes on once it is merged, or` : 'Merge it by hand, then') +
        ` run \`stratus release resume ${train.version}\``,
      ...(pr && github ? { pullRequest: { repo: github, number: pr.number, url: pr.url } } : {}),
    });
    let mergedByPullRequest = false;
    try {
      if (pr && github) {
        const pollMs = train.input.pullRequestPollMs ?? DEFAULT_POLL_MS;
        while (!(await train.waitUntil(() => train.resumeCount > seen, pollMs))) {
          const check = await train.step(`asking GitHub whether pull request #${pr.number} is merged`, () => short.pullRequestMerged({ repo: github, number: pr.number }), repo.name);
          if (check.merged) {
            mergedByPullRequest = true;
            break;
          }
        }
      } else {
        await train.waitUntil(() => train.resumeCount > seen);
      }
    } finally {
      remove();
    }
    if (mergedByPullRequest) {
      record({ status: 'merged-by-pull-request' });
      return;
    }
    result = await merge();
  }
  record({ status: result.status as RepoMerge['status'], sha: result.sha });
}
