// The release train with the GitHub and JIRA fakes: admin check, one GitHub release with notes,
// the JIRA version, sprints, carry-over of unresolved issues, the notes file grouped by type;
// and a trickle-down conflict: nothing half-applied, a pull request opened from a throw-away
// branch, resolved there (v50 untouched), the train goes on once the pull request is merged.
import { readFile } from 'node:fs/promises';
import { createGithubCodeHost } from '../../clients/github.js';
import { createJiraReleaseTracker } from '../../clients/jira.js';
import { cancelUpdate } from '../../workflows/release-train-api.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { startFakeJira, type FakeJira } from '../fakes/jira.js';
import { commitOnBranch, git, originRef, originRefs, originTag, tempDir, type OriginRepo } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import {
  DAY, WEEK, createOrigins, releaseActivities, runWorker, startTrain, trainConfig, waitForStatus, type RunningWorker,
} from './release-train-support.js';

const TOKEN = 'ghp_release_admin_token_4242';
const PASSWORD = 'jira-secret-pass-777';
let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let worker: RunningWorker;
let origins: Record<string, OriginRepo>;
let gh: FakeGithub;
let jira: FakeJira;

beforeAll(async () => {
  t = await createTestEnv();
  dir = await tempDir('stratus-train-svc-');
  ({ origins } = await createOrigins(dir.path, [['atmosphere', 'release-branch'], ['clank', 'master'], ['troposphere', 'release-branch']]));
  gh = await startFakeGithub({ tokens: { [TOKEN]: 'alice' }, repos: { 'cyverse/atmosphere': { admins: ['alice'], git: origins.atmosphere.path }, 'cyverse/troposphere': { admins: ['alice'], git: origins.troposphere.path } } });
  jira = await startFakeJira({ users: { release: PASSWORD }, projects: ['ATMO'], boards: { 3: 'ATMO' } });
  worker = await runWorker(t, releaseActivities(dir.path, origins, {
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

const cancel = (id: string) => t.env.client.workflow.getHandle(id).executeUpdate(cancelUpdate);

test('a train with GitHub and JIRA: version and sprints, admin check, one release with notes, JIRA released, carry-over', async () => {
  const config = trainConfig([{ name: 'atmosphere', target: 'release-branch', github: 'cyverse/atmosphere' }, { name: 'clank', target: 'master' }], {
    github: true, autoApprove: true, jira: { project: 'ATMO', board: 3, url: jira.url },
  });
  const h40 = await startTrain(t, { version: 40, codename: 'zesty-zapdos', config });
  await waitForStatus(h40, (s) => s.stage === 'cycle', 'the cycle');
  expect(jira.versions('ATMO').map((v) => [v.name, v.released])).toEqual([['v40', false]]);
  expect(jira.sprints(3).map((s) => s.name)).toEqual(['v40 Sprint 1', 'v40 Sprint 2', 'v40 Release']);

  const bug = jira.addIssue({ project: 'ATMO', summary: 'Instance list is empty', type: 'Bug', fixVersion: 'v40', resolved: true });
  const feature = jira.addIssue({ project: 'ATMO', summary: 'Shelve from the UI', type: 'New Feature', fixVersion: 'v40', resolved: true });
  const unresolved = jira.addIssue({ project: 'ATMO', summary: 'Not done yet', type: 'Improvement', fixVersion: 'v40' });

  await t.env.sleep(5 * WEEK + DAY); // autoApprove: released at the calendar's end
  const s = await waitForStatus(h40, (x) => x.stage === 'patching', 'the release');
  expect(s.tags.map((x) => x.tag)).toEqual(['v40-1']);
  expect(await originTag(origins.atmosphere, 'v40-1')).toMatchObject({ message: 'v40 (zesty-zapdos) release 1.' });
  expect(await originTag(origins.clank, 'v40-1')).toMatchObject({ commit: await originRef(origins.clank, 'refs/heads/master') });

  const releases = gh.releases('cyverse/atmosphere').filter((r) => r.tag_name === 'v40-1');
  expect(releases).toHaveLength(1);
  expect(releases[0].name).toBe('v40-1 (zesty-zapdos)');
  const notes = `# v40 (zesty-zapdos)\n\n## Bugs\n\n- [${bug}](${jira.url}/browse/${bug}): Instance list is empty\n\n## New Features\n\n- [${feature}](${jira.url}/browse/${feature}): Shelve from the UI\n`;
  expect(releases[0].body?.startsWith(notes)).toBe(true); // then the hidden idempotency marker
  expect(await readFile(s.releaseNotes!, 'utf8')).toBe(notes);
  expect(gh.requests.some((r) => r.method === 'GET' && r.path === '/repos/cyverse/atmosphere')).toBe(true); // the admin check
  expect(s.githubReleases).toEqual(['cyverse/atmosphere@v40-1']);

  expect(jira.versions('ATMO').find((v) => v.name === 'v40')).toMatchObject({ released: true });
  expect(jira.issue(unresolved).fields.fixVersions.map((v) => v.name)).toEqual(['v41']);
  expect(s.jiraVersionReleased).toBe(true);

  // train 41 reuses the v41 version the carry-over created, and makes its own sprints
  const h41 = t.env.client.workflow.getHandle('release-v41');
  await waitForStatus(h41, (x) => x.stage === 'cycle', 'train 41');
  expect(jira.versions('ATMO').map((v) => v.name)).toEqual(['v40', 'v41']);
  expect(jira.sprints(3).filter((x) => x.name.startsWith('v41 '))).toHaveLength(3);
  await cancel('release-v41');
  await cancel('release-v40');
  expect(await h40.result()).toMatchObject({ stage: 'cancelled', tags: ['v40-1'] });
});

test('a trickle-down conflict is never half-applied: a pull request from a throw-away branch; resolved there and merged, v50 is untouched and the train goes on', async () => {
  const repo = origins.troposphere;
  const config = trainConfig([{ name: 'troposphere', target: 'release-branch', github: 'cyverse/troposphere' }], { github: true, trickleDown: 'daily' });
  const h50 = await startTrain(t, { version: 50, config, pullRequestPollMs: 3600_000 });
  await waitForStatus(h50, (s) => s.stage === 'cycle', 'the cycle');
  await commitOnBranch(repo, 'v50', { 'CHANGELOG.md': 'fix on the release branch\n' }, 'release fix');
  await commitOnBranch(repo, 'master', { 'CHANGELOG.md': 'change on master\n' }, 'master change');
  const before = await originRefs(repo);

  await t.env.sleep(DAY + 3600_000);
  let s = await waitForStatus(h50, (x) => x.waiting.some((w) => w.kind === 'merge-conflict'), 'the conflict wait');
  const wait = s.waiting.find((w) => w.kind === 'merge-conflict')!;
  const head = 'stratus/merge-v50-into-master-1';
  expect(wait.reason).toMatch(new RegExp(`^trickle-down of v50 into master in troposphere conflicts in CHANGELOG\\.md; the merge was aborted and nothing was pushed\\. Resolve it on ${head} \\(not on v50\\) in pull request #\\d+`));
  expect(s.repos[0].state).toBe('conflict');
  const { [`refs/heads/${head}`]: throwAway, ...rest } = await originRefs(repo);
  expect(rest).toEqual(before); // only the throw-away branch is new
  expect(throwAway).toBe(before['refs/heads/v50']);
  const pulls = gh.pulls('cyverse/troposphere');
  expect(pulls).toHaveLength(1);
  expect(pulls[0]).toMatchObject({ head, base: 'master', state: 'open' });
  expect(wait.pullRequest).toMatchObject({ repo: 'cyverse/troposphere', number: pulls[0].number });
  expect(s.repos[0].pullRequest).toMatchObject({ number: pulls[0].number, head, reason: 'conflict', url: pulls[0].html_url });

  // a person resolves the conflict on the throw-away branch and merges the pull request
  await git(repo.work, ['fetch', '-q', 'origin']);
  await git(repo.work, ['checkout', '-q', '-B', 'resolve', `origin/${head}`]);
  await git(repo.work, ['merge', '-q', '-X', 'ours', '-m', 'Resolve the conflict with master', 'origin/master']);
  await git(repo.work, ['push', '-q', 'origin', `HEAD:refs/heads/${head}`]);
  const resolution = await git(repo.work, ['rev-parse', 'HEAD']);
  await gh.mergePullRequest('cyverse/troposphere', pulls[0].number); // a real merge commit in the origin

  await t.env.sleep(3600_000); // the next poll sees it merged
  s = await waitForStatus(h50, (x) => x.repos[0].state === 'branched' && x.waiting.every((w) => w.kind === 'calendar'), 'the conflict resolved');
  expect(s.repos[0].lastMerge).toMatchObject({ kind: 'trickle-down', status: 'merged-by-pull-request', pullRequest: { number: pulls[0].number, head, state: 'merged' } });
  expect(s.repos[0].pullRequest).toBeUndefined();
  expect(await originRef(repo, 'refs/heads/v50')).toBe(before['refs/heads/v50']); // the resolution never touched v50
  expect(await git(repo.path, ['merge-base', '--is-ancestor', resolution, 'refs/heads/master']).then(() => true)).toBe(true);
  expect(gh.pulls('cyverse/troposphere')).toHaveLength(1);
  expect(await h50.executeUpdate(cancelUpdate)).toBe('v50 cancelled');
});
