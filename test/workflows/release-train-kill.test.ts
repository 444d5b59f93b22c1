// Idempotence: the worker is shut down right after a step's side effects happened but before
// its result was recorded (at branch cut, JIRA version, sprints, trickle-down, tagging, GitHub
// release, JIRA release, notes, merge-back). A new worker replays the history and retries the
// step; every branch, tag, merge, release and JIRA version exists exactly once.
import { createGithubCodeHost } from '../../clients/github.js';
import { createJiraReleaseTracker } from '../../clients/jira.js';
import { cancelUpdate } from '../../workflows/release-train-api.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { startFakeJira, type FakeJira } from '../fakes/jira.js';
import { commitOnBranch, git, originRef, originTag, tempDir, type OriginRepo } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { WEEK, createOrigins, releaseActivities, runWorker, startTrain, trainConfig, waitForStatus, type RunningWorker } from './release-train-support.js';

let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let origins: Record<string, OriginRepo>;
let gh: FakeGithub;
let jira: FakeJira;
let current: RunningWorker | undefined;

beforeAll(async () => {
  t = await createTestEnv();
  dir = await tempDir('stratus-train-kill-');
  ({ origins } = await createOrigins(dir.path, [['atmosphere', 'release-branch'], ['clank', 'master']]));
  gh = await startFakeGithub({ tokens: { tok: 'alice' }, repos: { 'cyverse/atmosphere': { admins: ['alice'] } } });
  jira = await startFakeJira({ users: { release: 'pw' }, projects: ['ATMO'], boards: { 3: 'ATMO' } });
});
afterAll(async () => {
  await current?.stop();
  await t?.teardown();
  await gh?.close();
  await jira?.close();
  await dir?.cleanup();
});

test('killing the worker after each step makes every branch, tag, merge, release and JIRA version exactly once', async () => {
  const real = releaseActivities(dir.path, origins, {
    codeHost: createGithubCodeHost({ token: 'tok', baseUrl: gh.url, retryBaseDelayMs: 5, writeSpacingMs: 0 }),
    releaseTracker: createJiraReleaseTracker({ baseUrl: jira.url, username: 'release', password: 'pw', retryBaseDelayMs: 5 }),
  });
  // step name → the calls after which the worker dies (1 = first call)
  const killAt: Record<string, number[]> = {
    cutReleaseBranch: [1], ensureJiraVersion: [1], ensureSprints: [1], mergeBranch: [1, 2], checkAdminRights: [1], tagRelease: [1],
    collectReleaseNotes: [1], createGithubRelease: [1], releaseJiraVersion: [1], writeReleaseNotes: [1],
  };
  const calls: Record<string, number> = {};
  const kills: string[] = [];
  const restarts: Array<Promise<void>> = [];
  const wrapped = Object.fromEntries(Object.entries(real).map(([name, fn]) => [name, async (input: unknown) => {
    const result = await (fn as (i: unknown) => Promise<unknown>)(input);
    calls[name] = (calls[name] ?? 0) + 1;
    if (killAt[name]?.includes(calls[name])) {
      kills.push(name);
      const dying = current!;
      restarts.push(dying.stop().then(async () => {
        current = await runWorker(t, wrapped);
      }));
      throw new Error(`worker killed after ${name}`);
    }
    return result;
  }]));
  current = await runWorker(t, wrapped);

  const config = trainConfig([{ name: 'atmosphere', target: 'release-branch', github: 'cyverse/atmosphere' }, { name: 'clank', target: 'master' }], {
    github: true, autoApprove: true, trickleDown: 'daily', jira: { project: 'ATMO', board: 3, url: jira.url },
  });
  // a fix on master and one on the release branch make the merges real merge commits
  const start = new Date(Date.now() - 6 * WEEK).toISOString();
  const h = await startTrain(t, { version: 20, start, config });
  await waitForStatus(h, (s) => s.stage !== 'branching', 'the branch', 60_000);
  const s = await waitForStatus(h, (x) => x.stage === 'patching', 'the release', 90_000);
  await Promise.all(restarts);
  expect(kills.sort()).toEqual(Object.keys(killAt).flatMap((k) => killAt[k].map(() => k)).sort());

  const atmo = origins.atmosphere;
  expect(await originRef(atmo, 'refs/heads/v20')).not.toBeNull();
  expect(await originTag(atmo, 'v20-1')).toMatchObject({ type: 'tag', message: `v20 (${s.codename}) release 1.` });
  expect(await originTag(origins.clank, 'v20-1')).toMatchObject({ type: 'tag' });
  expect(await git(atmo.path, ['tag', '--list', 'v20-*'])).toBe('v20-1');
  expect(gh.releases('cyverse/atmosphere').map((r) => r.tag_name)).toEqual(['v20-1']);
  expect(gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/releases'))).toHaveLength(1);
  await waitForStatus(t.env.client.workflow.getHandle('release-v21'), (x) => x.stage === 'cycle', 'train 21', 30_000);
  expect(jira.versions('ATMO').map((v) => [v.name, v.released])).toEqual([['v20', true], ['v21', false]]);
  expect(jira.sprints(3).map((x) => x.name)).toEqual(['v20 Sprint 1', 'v20 Sprint 2', 'v20 Release', 'v21 Sprint 1', 'v21 Sprint 2', 'v21 Release']);
  expect(s.tags.map((x) => x.tag)).toEqual(['v20-1']);
  expect(s.trickleDowns).toBe(1);
  expect(s.githubReleases).toEqual(['cyverse/atmosphere@v20-1']);

  // a patch after another kill: tagged once
  killAt.tagRelease.push(calls.tagRelease + 1);
  await commitOnBranch(atmo, 'v20', { 'patch.txt': 'p\n' }, 'patch');
  const patch = await h.executeUpdate('tag');
  expect(patch).toMatchObject({ tag: 'v20-2' });
  await Promise.all(restarts);
  expect(await git(atmo.path, ['tag', '--list', 'v20-*'])).toBe('v20-1\nv20-2');
  await waitForStatus(h, (x) => x.githubReleases.length === 2, 'the patch release on GitHub', 30_000);
  expect(gh.releases('cyverse/atmosphere').map((r) => r.tag_name)).toEqual(['v20-1', 'v20-2']);

  await t.env.client.workflow.getHandle('release-v21').executeUpdate(cancelUpdate);
  await h.executeUpdate(cancelUpdate);
}, 180_000);
