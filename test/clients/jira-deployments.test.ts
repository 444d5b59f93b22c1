// The JIRA release tracker against both deployments of the fake: detection, each one's search
// and authentication, the configuration error for Cloud without the e-mail, release with
// moveUnfixedIssuesTo, statusCategory, and writes that happen once when JIRA did the work but
// answered 502.
import { createJiraReleaseTracker, type JiraConnectionOptions, type ReleaseTracker } from '../../clients/jira.js';
import { AuthError, RateLimitedError } from '../../clients/github-errors.js';
import { JiraConfigError, JiraNotFoundError, JiraPermissionError, JiraRejectedError } from '../../clients/jira-errors.js';
import { startFakeJira, type FakeJira, type FakeJiraOptions } from '../fakes/jira.js';

const EMAIL = 'release@example.org';
const API_TOKEN = 'atlassian-api-token-s3cret-41';
const PAT = 'dc-personal-access-token-s3cret-42';
const fast = { retryBaseDelayMs: 5, rateLimitSecondMs: 5, timeoutMs: 2000, consistencyDelayMs: 5 };

interface Flavour {
  name: 'cloud' | 'datacenter';
  connection: (url: string) => JiraConnectionOptions;
  searchPath: string;
}

const flavours: Flavour[] = [
  { name: 'cloud', connection: (baseUrl) => ({ baseUrl, email: EMAIL, token: API_TOKEN, ...fast }), searchPath: '/rest/api/3/search/jql' },
  { name: 'datacenter', connection: (baseUrl) => ({ baseUrl, email: EMAIL, token: PAT, ...fast }), searchPath: '/rest/api/2/search' },
];

async function fake(deployment: Flavour['name'], extra: Partial<FakeJiraOptions> = {}): Promise<FakeJira> {
  return startFakeJira({
    deployment, projects: ['ATMO'], boards: { 3: 'ATMO' },
    ...(deployment === 'cloud' ? { users: { [EMAIL]: API_TOKEN } } : { tokens: { [PAT]: 'release-bot' } }), ...extra,
  });
}

describe.each(flavours)('Jira $name', (flavour) => {
  let jira: FakeJira;
  let tracker: ReleaseTracker;
  beforeAll(async () => {
    jira = await fake(flavour.name);
    tracker = createJiraReleaseTracker(flavour.connection(jira.url));
  });
  afterAll(() => jira.close());
  afterEach(() => jira.faults.reset());

  it('detects the deployment once, anonymously, and uses its search and authentication', async () => {
    await tracker.ensureVersion('ATMO', 'v40');
    for (let i = 0; i < 130; i++) jira.addIssue({ project: 'ATMO', summary: `Done ${i}`, type: 'Bug', fixVersion: 'v40', resolved: true });
    jira.addIssue({ project: 'ATMO', summary: 'Open', fixVersion: 'v40' });
    await expect(tracker.resolvedIssues('ATMO', 'v40')).resolves.toHaveLength(130);

    const info = jira.requests.filter((r) => r.path === '/rest/api/2/serverInfo');
    expect(info).toHaveLength(1);
    expect(info[0].authorization).toBeUndefined();
    const searches = jira.requests.filter((r) => r.path.includes('/search'));
    expect(new Set(searches.map((r) => r.path))).toEqual(new Set([flavour.searchPath]));
    expect(searches.length).toBe(2); // two pages of 100
    const authed = jira.requests.filter((r) => r.path !== '/rest/api/2/serverInfo');
    expect(new Set(authed.map((r) => r.authorization))).toEqual(new Set([flavour.name === 'cloud' ? 'basic' : 'bearer']));
  });

  it('releases a version and moves the issues not done in the same request (moveUnfixedIssuesTo)', async () => {
    await tracker.ensureVersion('ATMO', 'v41');
    const done = jira.addIssue({ project: 'ATMO', summary: 'Fixed', fixVersion: 'v41', resolved: true });
    const open = jira.addIssue({ project: 'ATMO', summary: 'Not yet', fixVersion: 'v41' });
    const released = await tracker.releaseVersion('ATMO', 'v41', '2025-04-07', 'v42');
    expect(released).toMatchObject({ name: 'v41', released: true, releaseDate: '2025-04-07', moved: [open] });
    expect(jira.issue(open).fields.fixVersions.map((v) => v.name)).toEqual(['v42']);
    expect(jira.issue(done).fields.fixVersions.map((v) => v.name)).toEqual(['v41']);
    const puts = jira.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.path)).toEqual([`/rest/api/2/version/${released.id}`]);
    expect(puts[0].body).toMatchObject({ released: true, moveUnfixedIssuesTo: expect.stringMatching(/\/rest\/api\/2\/version\/\d+$/) });
    await expect(tracker.releaseVersion('ATMO', 'v41', '2025-04-07', 'v42')).resolves.toMatchObject({ released: true, moved: [] });
  });

  it.each([
    ['version', /\/rest\/api\/2\/version$/, (t: ReleaseTracker) => t.ensureVersion('ATMO', 'v43'), (j: FakeJira) => j.versions('ATMO').filter((v) => v.name === 'v43').length],
    ['sprint', /\/rest\/agile\/1\.0\/sprint$/, (t: ReleaseTracker) => t.ensureSprints(3, [{ name: 'v43 Sprint 1', start: '2025-05-05', end: '2025-05-19' }]),
      (j: FakeJira) => j.sprints(3).filter((s) => s.name === 'v43 Sprint 1').length],
  ])('creates a %s once when JIRA did it but answered 502', async (_what, path, create, count) => {
    jira.processThenFail({ path, method: 'POST' });
    await expect(create(tracker)).resolves.toBeDefined();
    await expect(create(tracker)).resolves.toBeDefined();
    expect(count(jira)).toBe(1);
  });

  it('distinguishes 403 from 404 and hands a 429 on with its wait', async () => {
    jira.faults.failNext({ status: 403, body: { errorMessages: ['You do not have permission to create versions in this project.'], errors: {} }, method: 'POST' });
    const denied = await tracker.ensureVersion('ATMO', 'v44').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(JiraPermissionError);
    expect((denied as Error).message).toBe('JIRA refused creating version v44 in ATMO (HTTP 403, a permission is missing): You do not have permission to create versions in this project.');
    const missing = await tracker.ensureVersion('NOPE', 'v44').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(JiraNotFoundError);
    expect((missing as Error).message).toContain("the versions of NOPE (HTTP 404: it does not exist or the credentials cannot see it): No project could be found with key 'NOPE'.");
    jira.faults.failNext({ status: 429, retryAfter: 30 });
    await expect(tracker.ensureVersion('ATMO', 'v44')).rejects.toThrow(new RateLimitedError('JIRA', 30));
  });
});

describe('Jira Cloud specifics', () => {
  let jira: FakeJira;
  beforeAll(async () => {
    jira = await fake('cloud');
  });
  afterAll(() => jira.close());

  it('refuses to start without the account e-mail, naming the variable and never the token', async () => {
    const t = createJiraReleaseTracker({ baseUrl: jira.url, token: API_TOKEN, emailSource: 'the environment variable JIRA_USER (release.jira.userEnv)', ...fast });
    const err = await t.ensureVersion('ATMO', 'v50').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JiraConfigError);
    expect((err as Error).message).toBe(`Jira Cloud (${jira.url}) takes the API token only with the account e-mail (Basic auth): set the environment variable JIRA_USER (release.jira.userEnv) for the worker`);
    expect((err as Error).message).not.toContain(API_TOKEN);
    expect(jira.requests.filter((r) => r.path !== '/rest/api/2/serverInfo')).toEqual([]);
  });

  it('reports the removed search when told it is Data Center, with JIRA\'s own explanation', async () => {
    const t = createJiraReleaseTracker({ baseUrl: jira.url, deployment: 'datacenter', username: EMAIL, password: API_TOKEN, ...fast });
    await t.ensureVersion('ATMO', 'v51');
    const err = await t.resolvedIssues('ATMO', 'v51').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JiraRejectedError);
    expect((err as JiraRejectedError).status).toBe(410);
    expect((err as Error).message).toContain('Please migrate to the /rest/api/3/search/jql API');
  });

  it('gets 401 for an API token sent as Bearer (deployment set to datacenter by mistake)', async () => {
    const t = createJiraReleaseTracker({ baseUrl: jira.url, deployment: 'datacenter', token: API_TOKEN, ...fast });
    const err = await t.ensureVersion('ATMO', 'v53').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(jira.requests.at(-1)).toMatchObject({ authorization: 'bearer' });
    expect((err as Error).message).not.toContain(API_TOKEN);
  });

  it('rejects a bad API token as an AuthError without the token in it', async () => {
    const t = createJiraReleaseTracker({ baseUrl: jira.url, email: EMAIL, token: 'wrong-token-999', ...fast });
    const err = await t.ensureVersion('ATMO', 'v52').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain('Client must be authenticated');
    expect((err as Error).message).not.toContain('wrong-token-999');
  });
});

describe('a workflow whose Done sets no resolution', () => {
  let jira: FakeJira;
  beforeAll(async () => {
    jira = await fake('cloud', { workflow: 'simple' });
  });
  afterAll(() => jira.close());

  it('counts Done issues as done for the notes, and moves only the ones not done (itself, since JIRA would move the unresolved)', async () => {
    const t = createJiraReleaseTracker({ baseUrl: jira.url, email: EMAIL, token: API_TOKEN, ...fast });
    await t.ensureVersion('ATMO', 'v60');
    const done = jira.addIssue({ project: 'ATMO', summary: 'Done, no resolution', type: 'Bug', fixVersion: 'v60', resolved: true });
    const open = jira.addIssue({ project: 'ATMO', summary: 'Open', fixVersion: 'v60' });
    expect(jira.issue(done).fields.resolution).toBeNull();
    await expect(t.resolvedIssues('ATMO', 'v60')).resolves.toEqual([{ key: done, summary: 'Done, no resolution', type: 'Bug' }]);
    await expect(t.releaseVersion('ATMO', 'v60', '2025-06-01', 'v61')).resolves.toMatchObject({ released: true, moved: [open] });
    expect(jira.issue(done).fields.fixVersions.map((v) => v.name)).toEqual(['v60']);
    expect(jira.issue(open).fields.fixVersions.map((v) => v.name)).toEqual(['v61']);
    expect(jira.requests.find((r) => r.method === 'PUT' && r.path.startsWith('/rest/api/2/version/'))?.body).not.toHaveProperty('moveUnfixedIssuesTo');
  });
});
