// The release train against a GitHub fake whose master is protected (the origins' pre-receive hook
// refuses pushes to master with GitHub's GH006): under `mergeVia: auto` trickle-downs and the
// merge-back go through pull requests from throw-away branches, the train goes on once they are
// merged, the approver rule decides who may tag, and the train runs to its patch releases.
// `mergeVia: push` and a train without GitHub wait for an operator with the refusal in status;
// `mergeVia: pull-request` opens a pull request for every merge, and a closed one waits for resume.
import { createGithubCodeHost } from '../../clients/github.js';
import { formatStatus } from '../../cli/release.js';
import { advanceUpdate, approveUpdate, cancelUpdate, resumeUpdate, tagUpdate } from '../../workflows/release-train-api.js';
import { type TrainStatus } from '../../workflows/release-train-types.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { commitOnBranch, git, originRef, originTag, tempDir, type OriginRepo } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import {
  HOUR, WEEK, createOrigins, failureOf, releaseActivities, runWorker, startTrain, trainConfig, waitForStatus,
  type RunningWorker,
} from './release-train-support.js';

const BOT_TOKEN = 'ghp_stratus_bot_token_5150'; // the token's user may write, not administer
let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let worker: RunningWorker;
let origins: Record<string, OriginRepo>;
let gh: FakeGithub;

beforeAll(async () => {
  t = await createTestEnv();
  dir = await tempDir('stratus-train-protected-');
  ({ origins } = await createOrigins(dir.path, [['atmosphere', 'release-branch'], ['troposphere', 'release-branch'], ['clank', 'master'], ['ionosphere', 'release-branch']]));
  const spec = (name: string) => ({ admins: ['alice'], writers: ['stratus-bot', 'bob'], git: origins[name].path });
  gh = await startFakeGithub({ tokens: { [BOT_TOKEN]: 'stratus-bot' }, repos: { 'cyverse/atmosphere': spec('atmosphere'), 'cyverse/troposphere': spec('troposphere'), 'cyverse/ionosphere': spec('ionosphere') } });
  for (const name of ['atmosphere', 'troposphere']) await gh.protectBranch(`cyverse/${name}`, 'master', 'branch-protection');
  worker = await runWorker(t, releaseActivities(dir.path, origins, {
    codeHost: createGithubCodeHost({ token: BOT_TOKEN, baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0 }),
  }));
});
afterAll(async () => {
  await worker?.stop();
  await t?.teardown();
  await gh?.close();
  await dir?.cleanup();
});

const prWait = (s: TrainStatus) => s.waiting.find((w) => w.kind === 'pull-request');
const operatorWait = (s: TrainStatus) => s.waiting.find((w) => w.kind === 'operator');
const cancel = (id: string) => t.env.client.workflow.getHandle(id).executeUpdate(cancelUpdate);
const contains = (repo: OriginRepo, ancestor: string, ref: string) => git(repo.path, ['merge-base', '--is-ancestor', ancestor, ref]).then(() => true, () => false);

/** Merges the pull request of `repo` as a person on GitHub would (the fake makes the merge commit in the origin). */
async function mergeThePullRequest(repo: OriginRepo, slug: string, s: TrainStatus): Promise<void> {
  const pr = s.repos.find((r) => r.name === repo.name)?.pullRequest;
  if (!pr) throw new Error(`no pull request for ${repo.name} in ${JSON.stringify(s.repos)}`);
  await gh.mergePullRequest(slug, pr.number);
}

test('protected master, mergeVia auto: trickle-down and merge-back through pull requests, the approver rule, patch releases', async () => {
  const { atmosphere, troposphere, clank } = origins;
  const config = trainConfig([
    { name: 'atmosphere', target: 'release-branch', github: 'cyverse/atmosphere' },
    { name: 'troposphere', target: 'release-branch', github: 'cyverse/troposphere' },
    { name: 'clank', target: 'master' },
  ], { github: true, trickleDown: 'weekly' });
  const h31 = await startTrain(t, { version: 31, config, pullRequestPollMs: HOUR });
  await waitForStatus(h31, (x) => x.stage === 'cycle', 'the cycle');

  // 1. a fix on v31 trickles down: the push to master is refused, a pull request is opened instead
  const fix = await commitOnBranch(atmosphere, 'v31', { 'fix.txt': 'fix\n' }, 'fix on v31');
  const masterBefore = await originRef(atmosphere, 'refs/heads/master');
  await t.env.sleep(WEEK + HOUR);
  let s = await waitForStatus(h31, (x) => prWait(x) !== undefined, 'the pull request wait');
  const head = 'stratus/merge-v31-into-master-1';
  const pulls = gh.pulls('cyverse/atmosphere');
  expect(pulls).toHaveLength(1);
  expect(pulls[0]).toMatchObject({ head, base: 'master', state: 'open', title: 'trickle-down: merge v31 into master' });
  expect(pulls[0].body).toContain('`master` is protected');
  expect(prWait(s)).toMatchObject({ repo: 'atmosphere', pullRequest: { repo: 'cyverse/atmosphere', number: pulls[0].number, url: pulls[0].html_url } });
  expect(prWait(s)!.reason).toMatch(/^trickle-down of v31 into master in atmosphere could not be pushed: master is protected \(.*GH006: Protected branch update failed/);
  expect(s.repos.find((r) => r.name === 'atmosphere')!.pullRequest).toMatchObject({ number: pulls[0].number, head, reason: 'protected', state: 'open' });
  expect(formatStatus(s)).toContain(`repo atmosphere: branched on v31; waiting on pull request #${pulls[0].number} ${pulls[0].html_url} from ${head}`);
  expect(await originRef(atmosphere, 'refs/heads/master')).toBe(masterBefore);
  expect(await originRef(atmosphere, `refs/heads/${head}`)).toBe(fix);
  expect(gh.pulls('cyverse/troposphere')).toEqual([]); // nothing to merge there

  // 2. someone merges it on GitHub: the next poll sees it and the train goes on
  await mergeThePullRequest(atmosphere, 'cyverse/atmosphere', s);
  await t.env.sleep(HOUR);
  s = await waitForStatus(h31, (x) => x.waiting.every((w) => w.kind === 'calendar'), 'the merged pull request');
  expect(s.repos.find((r) => r.name === 'atmosphere')!.lastMerge).toMatchObject({ kind: 'trickle-down', status: 'merged-by-pull-request', pullRequest: { number: pulls[0].number, state: 'merged' } });
  expect(await contains(atmosphere, fix, 'refs/heads/master')).toBe(true);
  expect(await originRef(atmosphere, 'refs/heads/v31')).toBe(fix);

  // 3. the approver rule: bob (write access) is refused naming the repositories; alice (admin) approves
  await h31.executeUpdate(advanceUpdate);
  await h31.executeUpdate(advanceUpdate);
  const fix2 = await commitOnBranch(troposphere, 'v31', { 'fix.txt': 'fix 2\n' }, 'fix 2 on v31');
  const refused = await failureOf(h31.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] }));
  expect(refused.cause?.message ?? refused.message).toBe(
    'v31 was not approved: bob may not approve this release: only admins of the repositories to be tagged may, and bob is not an admin of cyverse/atmosphere, cyverse/troposphere');
  s = await waitForStatus(h31, (x) => x.stage === 'cycle', 'still in the cycle');
  expect(s.approved).toBe(false);
  const bad = await failureOf(h31.executeUpdate(approveUpdate, { args: [{ approver: 'rm -rf /' }] }));
  expect(bad.cause?.message ?? bad.message).toBe('approver must be a login (letters, digits and . _ @ -, at most 64 characters), got "rm -rf /"');
  expect(await h31.executeUpdate(approveUpdate, { args: [{ approver: 'alice' }] })).toBe('v31 approved by alice: tagging v31-1 now');

  // 4. v31-1 everywhere (the bot token's own admin check is not needed: alice was checked); the
  // merge-back of troposphere's fix 2 goes through a second pull request
  s = await waitForStatus(h31, (x) => x.stage === 'merging-back' && prWait(x) !== undefined, 'the merge-back pull request');
  expect(s.approvedBy).toBe('alice');
  expect(s.tags).toEqual([expect.objectContaining({ tag: 'v31-1', by: 'alice' })]);
  for (const repo of [atmosphere, troposphere, clank]) expect(await originTag(repo, 'v31-1')).toMatchObject({ type: 'tag' });
  expect(formatStatus(s)).toContain('approved: yes by alice');
  const back = gh.pulls('cyverse/troposphere');
  expect(back).toEqual([expect.objectContaining({ head: 'stratus/merge-v31-into-master-1', title: 'merge-back: merge v31 into master', state: 'open' })]);
  expect(gh.releases('cyverse/atmosphere').map((r) => r.tag_name)).toEqual(['v31-1']);
  await mergeThePullRequest(troposphere, 'cyverse/troposphere', s);
  await t.env.sleep(HOUR);
  s = await waitForStatus(h31, (x) => x.stage === 'patching', 'the patching stage');
  expect(await contains(troposphere, fix2, 'refs/heads/master')).toBe(true);
  expect(s.nextTrain).toBe('release-v32');

  // 5. patch releases: asked for by an admin they are tagged; by bob refused
  const patch = await commitOnBranch(atmosphere, 'v31', { 'fix.txt': 'patch\n' }, 'patch 1');
  const byBob = await failureOf(h31.executeUpdate(tagUpdate, { args: [{ by: 'bob' }] }));
  expect(byBob.cause?.message ?? byBob.message).toMatch(/^v31 was not tagged: bob may not approve this release: .*cyverse\/atmosphere, cyverse\/troposphere$/);
  expect(await h31.executeUpdate(tagUpdate, { args: [{ by: 'alice' }] })).toMatchObject({ tag: 'v31-2' });
  expect(await originTag(atmosphere, 'v31-2')).toMatchObject({ commit: patch });
  expect((await waitForStatus(h31, (x) => x.tags.length === 2, 'v31-2')).tags[1]).toMatchObject({ tag: 'v31-2', by: 'alice' });

  await cancel('release-v32');
  await cancel('release-v31');
  expect(await h31.result()).toMatchObject({ stage: 'cancelled', tags: ['v31-1', 'v31-2'] });
});

test('mergeVia push, or no GitHub: a protected master makes the train wait for an operator with the refusal in status, without burning retries', async () => {
  const { atmosphere } = origins;
  const cases: Array<[number, Parameters<typeof trainConfig>[1], string]> = [
    [40, { github: true, mergeVia: 'push', trickleDown: 'daily' }, 'cyverse/atmosphere'],
    [45, { trickleDown: 'daily' }, ''],
  ];
  for (const [version, extra, slug] of cases) {
    const h = await startTrain(t, { version, config: trainConfig([{ name: 'atmosphere', target: 'release-branch', ...(slug ? { github: slug } : {}) }], extra) });
    await waitForStatus(h, (x) => x.stage === 'cycle', 'the cycle');
    await commitOnBranch(atmosphere, `v${version}`, { [`v${version}.txt`]: 'fix\n' }, `fix on v${version}`);
    await t.env.sleep(25 * HOUR);
    const s = await waitForStatus(h, (x) => operatorWait(x) !== undefined, 'the operator wait');
    expect(operatorWait(s)).toMatchObject({
      repo: 'atmosphere',
      error: { type: 'ProtectedBranch', message: expect.stringMatching(/^push of refs\/heads\/master to repo atmosphere was refused: the branch is protected \(.*GH006/) },
      reason: expect.stringMatching(new RegExp(`^trickle-down: merging v${version} into master in atmosphere failed: .*; fix it, then run \`stratus release resume ${version}\``)),
    });
    expect(gh.pulls('cyverse/atmosphere').filter((p) => p.head.includes(`v${version}`))).toEqual([]);
    const history = await h.fetchHistory();
    expect(history.events?.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt)).not.toContain(2);
    await h.executeUpdate(cancelUpdate);
  }
});

test('mergeVia pull-request: every merge is a pull request; one closed unmerged waits for resume, which opens the next from a new branch', async () => {
  const { ionosphere } = origins;
  const config = trainConfig([{ name: 'ionosphere', target: 'release-branch', github: 'cyverse/ionosphere' }], { github: true, mergeVia: 'pull-request', trickleDown: 'daily' });
  const h = await startTrain(t, { version: 50, config, pullRequestPollMs: HOUR });
  await waitForStatus(h, (x) => x.stage === 'cycle', 'the cycle');
  const fix = await commitOnBranch(ionosphere, 'v50', { 'fix.txt': 'fix\n' }, 'fix on v50');
  const master = await originRef(ionosphere, 'refs/heads/master');
  await t.env.sleep(25 * HOUR);
  let s = await waitForStatus(h, (x) => prWait(x) !== undefined, 'the first pull request');
  expect(prWait(s)!.reason).toMatch(/^trickle-down of v50 into master in ionosphere goes through a pull request \(mergeVia: pull-request\)\. Merge pull request #\d+/);
  expect(await originRef(ionosphere, 'refs/heads/master')).toBe(master); // not pushed although it could have been
  const [first] = gh.pulls('cyverse/ionosphere');
  expect(first).toMatchObject({ head: 'stratus/merge-v50-into-master-1', state: 'open' });

  gh.closePull('cyverse/ionosphere', first.number);
  await t.env.sleep(HOUR);
  s = await waitForStatus(h, (x) => operatorWait(x) !== undefined, 'the closed pull request');
  expect(operatorWait(s)!.reason).toContain(`pull request #${first.number} (${first.html_url}) was closed without being merged`);
  expect(await h.executeUpdate(resumeUpdate)).toMatch(/^v50 resumed: retrying trickle-down of v50 into master in ionosphere/);
  s = await waitForStatus(h, (x) => prWait(x) !== undefined, 'the second pull request');
  const second = gh.pulls('cyverse/ionosphere').find((p) => p.number !== first.number)!;
  expect(second).toMatchObject({ head: 'stratus/merge-v50-into-master-2', state: 'open' });
  await mergeThePullRequest(ionosphere, 'cyverse/ionosphere', s);
  await t.env.sleep(HOUR);
  s = await waitForStatus(h, (x) => x.waiting.every((w) => w.kind === 'calendar') && x.repos[0].lastMerge !== undefined, 'merged');
  expect(s.repos[0].lastMerge).toMatchObject({ status: 'merged-by-pull-request', pullRequest: { number: second.number } });
  expect(await contains(ionosphere, fix, 'refs/heads/master')).toBe(true);
  await h.executeUpdate(cancelUpdate);
});
