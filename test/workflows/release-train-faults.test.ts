// Bad input and faults: an invalid version, a tag already on another commit, a non-admin token,
// a JIRA version already released, an unreachable repo. The train waits for an operator with the
// error in `status` (never fails silently), resumes after the fix, and no token reaches history.
// Also: a late start catches up at once, missed trickle-down slots collapsing into one merge.
import { createGithubCodeHost } from '../../clients/github.js';
import { createJiraReleaseTracker } from '../../clients/jira.js';
import { cancelUpdate, resumeUpdate } from '../../workflows/release-train-api.js';
import { RELEASE_TASK_QUEUE, type TrainStatus } from '../../workflows/release-train-types.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { startFakeJira, type FakeJira } from '../fakes/jira.js';
import { commitFiles, createOrigin, git, originRef, originTag, tempDir, type OriginRepo } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { WEEK, failureOf, releaseActivities, runWorker, startTrain, trainConfig, waitForStatus, type RunningWorker } from './release-train-support.js';

const TOKEN = 'ghp_operator_token_31337';
const PASSWORD = 'jira-pass-do-not-leak-99';
let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let worker: RunningWorker;
let origins: Record<string, OriginRepo>;
let gh: FakeGithub;
let jira: FakeJira;
const lockedSpec: { admins: string[] } = { admins: [] };

beforeAll(async () => {
  t = await createTestEnv();
  dir = await tempDir('stratus-train-faults-');
  origins = {};
  for (const name of ['atmosphere', 'clank']) origins[name] = await createOrigin(dir.path, name);
  const ghost = { name: 'ghost', path: '', work: '', url: `file://${dir.path}/does-not-exist.git` };
  gh = await startFakeGithub({ tokens: { [TOKEN]: 'alice' }, repos: { 'cyverse/clank': lockedSpec } });
  jira = await startFakeJira({ users: { release: PASSWORD }, projects: ['ATMO'] });
  worker = await runWorker(t, releaseActivities(dir.path, { ...origins, ghost }, {
    codeHost: createGithubCodeHost({ token: TOKEN, baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0 }),
    releaseTracker: createJiraReleaseTracker({ baseUrl: jira.url, username: 'release', password: PASSWORD, retryBaseDelayMs: 5, rateLimitSecondMs: 5 }),
  }));
});
afterAll(async () => {
  await worker?.stop();
  await t?.teardown();
  await gh?.close();
  await jira?.close();
  await dir?.cleanup();
});

const longAgo = () => new Date(Date.now() - 6 * WEEK).toISOString();
const operatorWait = (s: TrainStatus) => s.waiting.find((w) => w.kind === 'operator');

test.each([['abc'], [-1]])('an invalid version (%p) fails the workflow with a message naming version', async (version) => {
  const handle = await t.env.client.workflow.start('releaseTrain', {
    taskQueue: RELEASE_TASK_QUEUE, workflowId: `release-bad-${String(version)}`, args: [{ version, config: trainConfig([{ name: 'clank', target: 'master' }]) }],
  });
  const failure = await failureOf(handle.result());
  expect(failure.cause?.message).toBe(`version must be a positive whole number (e.g. 31), got ${JSON.stringify(String(version))}`);
  expect(failure.cause?.type).toBe('InvalidName');
});

test('a late start catches up at once (one collapsed trickle-down); a tag on another commit makes the train wait; resume after the fix', async () => {
  const atmo = origins.atmosphere;
  const old = await originRef(atmo, 'refs/heads/master');
  await commitFiles(atmo.work, { 'new.txt': 'new\n' }, 'newer work');
  await git(atmo.work, ['push', '-q', 'origin', 'HEAD:refs/heads/master']);
  await git(atmo.path, ['tag', '-a', '-m', 'someone else', 'v60-1', old!]);

  const config = trainConfig([{ name: 'atmosphere', target: 'release-branch' }], { autoApprove: true, trickleDown: 'daily' });
  const h60 = await startTrain(t, { version: 60, start: longAgo(), config });
  const s = await waitForStatus(h60, (x) => operatorWait(x) !== undefined, 'the operator wait');
  expect(s.stage).toBe('releasing');
  expect(s.trickleDowns).toBe(1); // six weeks of missed daily slots collapse into one merge
  const wait = operatorWait(s)!;
  expect(wait.error?.type).toBe('TagConflict');
  expect(wait.error?.message).toMatch(/atmosphere/);
  expect(wait.error?.message).toMatch(/v60-1/);
  expect(wait.reason).toMatch(/^tagging v60-1 failed: .*; fix it, then run `stratus release resume 60` \(or cancel\)$/);

  await git(atmo.path, ['tag', '-d', 'v60-1']); // the operator removes the stray tag
  await h60.executeUpdate(resumeUpdate);
  await waitForStatus(h60, (x) => x.stage === 'patching', 'the release after resume');
  expect((await originTag(atmo, 'v60-1'))!.commit).toBe(await originRef(atmo, 'refs/heads/v60'));
  const nothing = await failureOf(h60.executeUpdate(resumeUpdate));
  expect(nothing.cause?.message ?? nothing.message).toMatch(/^v60 is not waiting for an operator/);
  await t.env.client.workflow.getHandle('release-v61').executeUpdate(cancelUpdate);
  await h60.executeUpdate(cancelUpdate);
});

test('a non-admin token makes the train wait naming user and repo; resume once the user is made admin; no token in history', async () => {
  const config = trainConfig([{ name: 'clank', target: 'master', github: 'cyverse/clank' }], { autoApprove: true, github: true });
  const h70 = await startTrain(t, { version: 70, start: longAgo(), config });
  const s = await waitForStatus(h70, (x) => operatorWait(x) !== undefined, 'the operator wait');
  expect(operatorWait(s)).toMatchObject({
    error: { type: 'NotAdmin', message: expect.stringContaining('alice') },
    reason: expect.stringMatching(/^checking admin rights before tagging v70-1 failed: .*cyverse\/clank/),
  });
  expect(await originTag(origins.clank, 'v70-1')).toBeNull(); // nothing tagged without admin rights

  lockedSpec.admins.push('alice');
  await h70.executeUpdate(resumeUpdate);
  const released = await waitForStatus(h70, (x) => x.stage === 'patching', 'the release');
  expect(gh.releases('cyverse/clank').map((r) => r.tag_name)).toEqual(['v70-1']);
  const history = JSON.stringify(await h70.fetchHistory());
  expect(history).not.toContain(TOKEN);
  expect(JSON.stringify(released)).not.toContain(TOKEN);
  await t.env.client.workflow.getHandle('release-v71').executeUpdate(cancelUpdate);
  await h70.executeUpdate(cancelUpdate);
});

test('a JIRA version already released makes the train wait with the error; cancel ends it; no password in history', async () => {
  const tracker = createJiraReleaseTracker({ baseUrl: jira.url, username: 'release', password: PASSWORD });
  await tracker.ensureVersion('ATMO', 'v80');
  await tracker.releaseVersion('ATMO', 'v80', '2024-01-01');
  const config = trainConfig([{ name: 'clank', target: 'master' }], { jira: { project: 'ATMO', url: jira.url } });
  const h80 = await startTrain(t, { version: 80, config });
  const s = await waitForStatus(h80, (x) => operatorWait(x) !== undefined, 'the operator wait');
  expect(s.stage).toBe('branching');
  expect(operatorWait(s)!.error).toEqual({ type: 'VersionAlreadyReleased', message: 'JIRA version v80 of project ATMO is already released (on 2024-01-01); pick a new version for this train' });
  expect(await h80.executeUpdate(cancelUpdate)).toBe('v80 cancelled');
  expect(await h80.result()).toMatchObject({ stage: 'cancelled', tags: [] });
  expect(JSON.stringify(await h80.fetchHistory())).not.toContain(PASSWORD);
});

test('an unreachable repo makes the train wait naming the repo', async () => {
  const config = trainConfig([{ name: 'ghost', target: 'release-branch' }]);
  const h90 = await startTrain(t, { version: 90, config });
  const s = await waitForStatus(h90, (x) => operatorWait(x) !== undefined, 'the operator wait');
  expect(operatorWait(s)).toMatchObject({ error: { type: 'RepoUnreachable', message: expect.stringContaining('ghost') }, reason: expect.stringMatching(/^cutting branch v90 from master failed/) });
  await h90.executeUpdate(cancelUpdate);
  expect(await h90.result()).toMatchObject({ stage: 'cancelled' });
});
