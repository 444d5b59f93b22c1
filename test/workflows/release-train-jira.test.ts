// The release train to its first patch against a Jira Cloud-flavoured fake (search/jql only,
// Basic email:token, a team-managed workflow whose Done sets no resolution, a lagging search
// index) and a Data Center-flavoured one (api/2 search, Bearer PAT), with the GitHub fake. The
// JIRA creates are answered 502 after JIRA did them once each: nothing exists twice.
import { readFile } from 'node:fs/promises';
import { createGithubCodeHost } from '../../clients/github.js';
import { createJiraReleaseTracker, type ReleaseTracker } from '../../clients/jira.js';
import { cancelUpdate, tagUpdate } from '../../workflows/release-train-api.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { startFakeJira, type FakeJira } from '../fakes/jira.js';
import { commitOnBranch, originTag, tempDir, type OriginRepo } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import {
  DAY, WEEK, createOrigins, releaseActivities, runWorker, startTrain, trainConfig, waitForStatus, type RunningWorker,
} from './release-train-support.js';

const TOKEN = 'ghp_release_admin_token_5151';
const EMAIL = 'release@example.org';
const API_TOKEN = 'atlassian-api-token-secret-61';
const PAT = 'dc-pat-secret-62';
let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let worker: RunningWorker;
let origins: Record<string, OriginRepo>;
let gh: FakeGithub;
const fakes: FakeJira[] = [];
let current: ReleaseTracker | undefined;

// One worker for both flavours: its release tracker is whichever the running test set up.
const tracker = (): ReleaseTracker => {
  if (!current) throw new Error('no JIRA set up for this test');
  return current;
};
const delegating: ReleaseTracker = {
  ensureVersion: (...a) => tracker().ensureVersion(...a),
  releaseVersion: (...a) => tracker().releaseVersion(...a),
  moveUnresolvedIssues: (...a) => tracker().moveUnresolvedIssues(...a),
  ensureSprints: (...a) => tracker().ensureSprints(...a),
  resolvedIssues: (...a) => tracker().resolvedIssues(...a),
};

beforeAll(async () => {
  t = await createTestEnv();
  dir = await tempDir('stratus-train-jira-');
  ({ origins } = await createOrigins(dir.path, [['atmosphere', 'release-branch'], ['clank', 'master']]));
  gh = await startFakeGithub({ tokens: { [TOKEN]: 'alice' }, repos: { 'cyverse/atmosphere': { admins: ['alice'] } } });
  worker = await runWorker(t, releaseActivities(dir.path, origins, {
    codeHost: createGithubCodeHost({ token: TOKEN, baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0 }),
    releaseTracker: delegating,
  }));
});
afterAll(async () => {
  await worker?.stop();
  await t?.teardown();
  await gh?.close();
  for (const f of fakes) await f.close();
  await dir?.cleanup();
});

const flavours = [
  {
    deployment: 'cloud' as const, version: 60,
    start: () => startFakeJira({ deployment: 'cloud', users: { [EMAIL]: API_TOKEN }, projects: ['ATMO'], boards: { 3: 'ATMO' }, workflow: 'simple', searchLag: 1 }),
    credentials: { email: EMAIL, token: API_TOKEN },
    search: '/rest/api/3/search/jql', auth: 'basic',
  },
  {
    deployment: 'datacenter' as const, version: 70,
    start: () => startFakeJira({ tokens: { [PAT]: 'release-bot' }, projects: ['ATMO'], boards: { 3: 'ATMO' } }),
    credentials: { email: EMAIL, token: PAT },
    search: '/rest/api/2/search', auth: 'bearer',
  },
];

test.each(flavours)('a train on Jira $deployment runs to its first patch; every JIRA write once under processed-then-502', async (flavour) => {
  const jira = await flavour.start();
  fakes.push(jira);
  current = createJiraReleaseTracker({ baseUrl: jira.url, ...flavour.credentials, retryBaseDelayMs: 5, rateLimitSecondMs: 5, consistencyDelayMs: 5 });
  jira.processThenFail({ path: /\/rest\/api\/2\/version$/, method: 'POST', count: 1 });
  jira.processThenFail({ path: /\/rest\/agile\/1\.0\/sprint$/, method: 'POST', count: 1 });
  const v = flavour.version;
  const config = trainConfig([{ name: 'atmosphere', target: 'release-branch', github: 'cyverse/atmosphere' }, { name: 'clank', target: 'master' }], {
    github: true, autoApprove: true, jira: { project: 'ATMO', board: 3, url: jira.url },
  });
  const h = await startTrain(t, { version: v, codename: 'quiet-quokka', config });
  await waitForStatus(h, (s) => s.stage === 'cycle', 'the cycle');
  expect(jira.versions('ATMO').map((x) => [x.name, x.released])).toEqual([[`v${v}`, false]]);
  expect(jira.sprints(3).map((s) => s.name)).toEqual([`v${v} Sprint 1`, `v${v} Sprint 2`, `v${v} Release`]);

  const bug = jira.addIssue({ project: 'ATMO', summary: 'Instance list is empty', type: 'Bug', fixVersion: `v${v}`, resolved: true });
  const open = jira.addIssue({ project: 'ATMO', summary: 'Not done yet', type: 'Improvement', fixVersion: `v${v}` });

  await t.env.sleep(5 * WEEK + DAY);
  const s = await waitForStatus(h, (x) => x.stage === 'patching', 'the release');
  expect(s.tags.map((x) => x.tag)).toEqual([`v${v}-1`]);
  expect(s.jiraVersionReleased).toBe(true);
  expect(jira.versions('ATMO').find((x) => x.name === `v${v}`)).toMatchObject({ released: true });
  expect(jira.issue(open).fields.fixVersions.map((x) => x.name)).toEqual([`v${v + 1}`]);
  expect(jira.issue(bug).fields.fixVersions.map((x) => x.name)).toEqual([`v${v}`]);
  expect(await readFile(s.releaseNotes!, 'utf8')).toContain(`[${bug}](${jira.url}/browse/${bug}): Instance list is empty`);

  const patch = await commitOnBranch(origins.atmosphere, `v${v}`, { 'fix.txt': `patch for v${v}\n` }, 'patch 1');
  expect(await h.executeUpdate(tagUpdate, { args: [{}] })).toMatchObject({ tag: `v${v}-2` });
  expect(await originTag(origins.atmosphere, `v${v}-2`)).toMatchObject({ commit: patch });

  const next = t.env.client.workflow.getHandle(`release-v${v + 1}`);
  await waitForStatus(next, (x) => x.stage === 'cycle', `train ${v + 1}`);
  for (const name of [`v${v}`, `v${v + 1}`]) expect(jira.versions('ATMO').filter((x) => x.name === name)).toHaveLength(1);
  expect(jira.sprints(3).map((x) => x.name).filter((n) => n.startsWith(`v${v} `))).toHaveLength(3);
  const searches = new Set(jira.requests.filter((r) => r.path.includes('/search')).map((r) => r.path));
  expect(searches).toEqual(new Set([flavour.search]));
  expect(new Set(jira.requests.filter((r) => r.path !== '/rest/api/2/serverInfo').map((r) => r.authorization))).toEqual(new Set([flavour.auth]));

  await next.executeUpdate(cancelUpdate);
  await h.executeUpdate(cancelUpdate);
  expect(await h.result()).toMatchObject({ stage: 'cancelled', tags: [`v${v}-1`, `v${v}-2`] });
});
