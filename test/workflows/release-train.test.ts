// A git-only release train end to end on the time-skipping embedded server with real git repos:
// five weeks of sprints with trickle-downs, approval, v31-1 in every repo, merge-back, train 32
// started with its branch, two patch releases, and train 31 completing when 32 releases.
import { readFile } from 'node:fs/promises';
import { generateCodename } from '../../workflows/release-names.js';
import { advanceUpdate, approveUpdate, cancelUpdate, tagUpdate } from '../../workflows/release-train-api.js';
import { commitOnBranch, git, originRef, originTag, tempDir, type OriginRepo } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import {
  DAY, WEEK, createOrigins, failureOf, notStuck, releaseActivities, runWorker, startTrain, status, trainConfig, waitForStatus, type RunningWorker,
} from './release-train-support.js';

let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let worker: RunningWorker;
let origins: Record<string, OriginRepo>;
let repos: Array<{ name: string; target: 'release-branch' | 'master' }>;

beforeAll(async () => {
  t = await createTestEnv();
  dir = await tempDir('stratus-train-');
  ({ origins, repos } = await createOrigins(dir.path));
  worker = await runWorker(t, releaseActivities(dir.path, origins));
});
afterAll(async () => {
  await worker?.stop();
  await t?.teardown();
  await dir?.cleanup();
});

const contains = async (repo: OriginRepo, ancestor: string, ref: string) =>
  git(repo.path, ['merge-base', '--is-ancestor', ancestor, ref]).then(() => true, () => false);

test('a git-only train runs a full cycle, two patches, starts the next train and completes when it releases', async () => {
  const { atmosphere, troposphere, clank } = origins;
  const masterAtStart = await originRef(atmosphere, 'refs/heads/master');
  // a low history limit makes the train (and its successor) continue as new several times on the way
  const h31 = await startTrain(t, { version: 31, config: trainConfig(repos), historyLimit: 250 });

  // 1. branches cut in the release-branch repos only
  let s = await waitForStatus(h31, (x) => x.stage === 'cycle', 'the cycle to start');
  expect(s.codename).toBe(generateCodename(31));
  expect(s.phase).toMatchObject({ name: 'Sprint 1', focus: 'bugs', index: 0 });
  expect(Date.parse(s.calendar.end) - Date.parse(s.calendar.start)).toBe(5 * WEEK);
  expect(await originRef(atmosphere, 'refs/heads/v31')).toBe(masterAtStart);
  expect(await originRef(troposphere, 'refs/heads/v31')).not.toBeNull();
  expect(await originRef(clank, 'refs/heads/v31')).toBeNull();
  expect(s.repos.map((r) => [r.name, r.branch, r.state])).toEqual([['atmosphere', 'v31', 'branched'], ['troposphere', 'v31', 'branched'], ['clank', 'master', 'ready']]);

  // approving in Sprint 1 is refused with the reason
  const early = await failureOf(h31.executeUpdate(approveUpdate, { args: [{}] }));
  expect(early.cause?.message ?? early.message).toMatch(/v31 is not in its release phase yet \("Release" starts .*\); run `stratus release advance 31`/);

  // 2. a fix on the release branch trickles down into master on the next weekday slots
  const fix = await commitOnBranch(atmosphere, 'v31', { 'fix.txt': 'fix 1\n' }, 'fix on v31');
  await t.env.sleep(4 * DAY);
  s = await waitForStatus(h31, (x) => x.trickleDowns >= 1 && notStuck(x), 'a trickle-down');
  expect(await contains(atmosphere, fix, 'refs/heads/master')).toBe(true);
  expect(s.repos[0].lastMerge).toMatchObject({ kind: 'trickle-down' });

  // 3. the calendar runs out: the train waits for approval (trickle-downs went on every weekday)
  const fix2 = await commitOnBranch(troposphere, 'v31', { 'fix.txt': 'fix 2\n' }, 'fix 2 on v31');
  await commitOnBranch(clank, 'master', { 'feature.txt': 'x\n' }, 'feature on clank master');
  await t.env.sleep(5 * WEEK - 4 * DAY + DAY);
  s = await waitForStatus(h31, (x) => x.waiting.some((w) => w.kind === 'approval'), 'the approval wait');
  expect(s.phase).toBeNull();
  expect(s.trickleDowns).toBeGreaterThanOrEqual(20);
  expect(s.trickleDowns).toBeLessThanOrEqual(27);
  expect(await contains(troposphere, fix2, 'refs/heads/master')).toBe(true);
  expect(s.waiting.find((w) => w.kind === 'approval')?.reason).toContain('waiting for `stratus release approve 31`');

  // 4. approval: v31-1 on each repo's target head, merge-back, train 32 started
  expect(await h31.executeUpdate(approveUpdate, { args: [{}] })).toBe('v31 approved: tagging v31-1 now');
  s = await waitForStatus(h31, (x) => x.stage === 'patching', 'the release');
  const message = `v31 (${s.codename}) release 1.`;
  for (const repo of [atmosphere, troposphere]) {
    const tag = await originTag(repo, 'v31-1');
    expect(tag).toMatchObject({ type: 'tag', message });
    expect(await contains(repo, tag!.commit, 'refs/heads/master')).toBe(true); // merged back
  }
  expect((await originTag(atmosphere, 'v31-1'))!.commit).toBe(s.tags[0].repos.find((r) => r.repo === 'atmosphere')!.sha);
  expect((await originTag(clank, 'v31-1'))!.commit).toBe(await originRef(clank, 'refs/heads/master'));
  expect(s.tags.map((x) => x.tag)).toEqual(['v31-1']);
  expect(s.nextTrain).toBe('release-v32');
  expect(s.runs).toBeGreaterThan(1); // continued as new, state carried over
  expect(await readFile(s.releaseNotes!, 'utf8')).toBe(`# v31 (${s.codename})\n\n_No issues were resolved in this release._\n`);

  const h32 = t.env.client.workflow.getHandle('release-v32');
  const s32 = await waitForStatus(h32, (x) => x.stage === 'cycle', 'train 32 to start');
  expect(s32.calendar.start).toBe(s.calendar.end);
  expect(await originRef(atmosphere, 'refs/heads/v32')).toBe(await originRef(atmosphere, 'refs/heads/master'));

  // 5. two patch releases on the release branch
  const patch = await commitOnBranch(atmosphere, 'v31', { 'fix.txt': 'patch 1\n' }, 'patch 1');
  expect(await h31.executeUpdate(tagUpdate, { args: [{}] })).toMatchObject({ tag: 'v31-2' });
  expect((await originTag(atmosphere, 'v31-2'))).toMatchObject({ commit: patch, message: `v31 (${s.codename}) release 2.` });
  const third = await h31.executeUpdate(tagUpdate, { args: [{}] });
  expect(third.tag).toBe('v31-3');
  expect(third.repos.find((r) => r.repo === 'atmosphere')?.sha).toBe(patch);
  expect(await originTag(troposphere, 'v31-3')).toMatchObject({ type: 'tag', message: `v31 (${s.codename}) release 3.` });

  // 6. train 32 advances to its release phase and releases: train 31 completes
  await h32.executeUpdate(advanceUpdate);
  expect(await h32.executeUpdate(advanceUpdate)).toMatchObject({ name: 'Release' });
  await h32.executeUpdate(approveUpdate, { args: [{}] });
  expect(await h31.result()).toMatchObject({ version: 31, stage: 'completed', tags: ['v31-1', 'v31-2', 'v31-3'] });
  expect(await originTag(atmosphere, 'v32-1')).toMatchObject({ message: `v32 (${generateCodename(32)}) release 1.` });
  const late = await failureOf(h31.executeUpdate(tagUpdate, { args: [{}] }));
  expect(late.message).toMatch(/completed|not found|closed/i);

  await waitForStatus(h32, (x) => x.stage === 'patching', 'train 32 released');
  for (const id of ['release-v32', 'release-v33']) await t.env.client.workflow.getHandle(id).executeUpdate(cancelUpdate);
  expect((await status(h32)).stage).toBe('cancelled');
});
