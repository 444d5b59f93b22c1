import { createJiraReleaseTracker, type JiraConnectionOptions, type ReleaseTracker } from '../../clients/jira.js';
import { AuthError, InvalidNameError, RateLimitedError, ServiceUnavailableError } from '../../clients/github-errors.js';
import { SprintConflictError, VersionAlreadyReleasedError, VersionNotFoundError } from '../../clients/jira-errors.js';
import { startFakeJira, type FakeJira } from '../fakes/jira.js';

const PASSWORD = 'jira-pass-s3cret-771';
const PAT = 'jira-pat-s3cret-123';

let jira: FakeJira;

beforeAll(async () => {
  jira = await startFakeJira({ users: { release: PASSWORD }, tokens: { [PAT]: 'bot' }, projects: ['ATMO', 'TROPO'], boards: { 7: 'ATMO' } });
});
afterAll(() => jira.close());
afterEach(() => jira.faults.reset());

function tracker(extra: Partial<JiraConnectionOptions> = {}): ReleaseTracker {
  return createJiraReleaseTracker({
    baseUrl: jira.url, username: 'release', password: PASSWORD, retryBaseDelayMs: 5, rateLimitSecondMs: 5, timeoutMs: 2000, ...extra,
  });
}

describe('versions', () => {
  it('creates a fixVersion once and reuses it', async () => {
    const first = await tracker().ensureVersion('ATMO', 'v31');
    const second = await tracker({ username: undefined, password: undefined, token: PAT }).ensureVersion('ATMO', 'v31');
    expect(first).toMatchObject({ name: 'v31', released: false, created: true });
    expect(second).toEqual({ ...first, created: false });
    expect(jira.versions('ATMO').filter((v) => v.name === 'v31')).toHaveLength(1);
  });

  it('releases a version idempotently, and refuses to reuse a released version for a new train', async () => {
    await tracker().ensureVersion('ATMO', 'v29');
    const released = await tracker().releaseVersion('ATMO', 'v29', '2025-03-07');
    expect(released).toMatchObject({ name: 'v29', released: true, releaseDate: '2025-03-07' });
    await expect(tracker().releaseVersion('ATMO', 'v29', '2025-03-07')).resolves.toMatchObject({ released: true });
    expect(jira.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/rest/api/2/version/'))).toHaveLength(1);

    const err = await tracker().ensureVersion('ATMO', 'v29').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionAlreadyReleasedError);
    expect((err as Error).message).toBe('JIRA version v29 of project ATMO is already released (on 2025-03-07); pick a new version for this train');
  });

  it('names the missing version when releasing one that does not exist', async () => {
    await expect(tracker().releaseVersion('ATMO', 'v99', '2025-01-01')).rejects.toThrow(new VersionNotFoundError('ATMO', 'v99'));
  });

  it('validates project keys, version names and dates before any request', async () => {
    const before = jira.requests.length;
    await expect(tracker().ensureVersion('atmo; DROP', 'v1')).rejects.toThrow('invalid JIRA project key "atmo; DROP"');
    await expect(tracker().ensureVersion('ATMO', 'v1" OR project = "X')).rejects.toThrow(InvalidNameError);
    await expect(tracker().releaseVersion('ATMO', 'v31', '07/03/2025')).rejects.toThrow('invalid release date "07/03/2025": expected YYYY-MM-DD');
    expect(jira.requests.length).toBe(before);
  });
});

describe('issues', () => {
  it('moves unresolved issues to the next version exactly once and lists resolved ones for the notes', async () => {
    const t = tracker();
    await t.ensureVersion('TROPO', 'v40');
    const bug = jira.addIssue({ project: 'TROPO', summary: 'Login fails', type: 'Bug', fixVersion: 'v40', resolved: true });
    const feat = jira.addIssue({ project: 'TROPO', summary: 'Dark *mode*', type: 'New Feature', fixVersion: 'v40', resolved: true });
    const open1 = jira.addIssue({ project: 'TROPO', summary: 'Slow page', type: 'Improvement', fixVersion: 'v40' });
    const open2 = jira.addIssue({ project: 'TROPO', summary: 'Flaky test', type: 'Task', fixVersion: 'v40' });
    jira.addIssue({ project: 'TROPO', summary: 'Unrelated', type: 'Bug', resolved: true });

    await expect(t.moveUnresolvedIssues('TROPO', 'v40', 'v41')).resolves.toEqual([open1, open2]);
    await expect(t.moveUnresolvedIssues('TROPO', 'v40', 'v41')).resolves.toEqual([]);
    expect(jira.issue(open1).fields.fixVersions.map((v) => v.name)).toEqual(['v41']);
    expect(jira.issue(bug).fields.fixVersions.map((v) => v.name)).toEqual(['v40']);
    expect(jira.versions('TROPO').map((v) => v.name)).toEqual(['v40', 'v41']);

    await expect(t.resolvedIssues('TROPO', 'v40')).resolves.toEqual([
      { key: bug, summary: 'Login fails', type: 'Bug' },
      { key: feat, summary: 'Dark *mode*', type: 'New Feature' },
    ]);
  });

  it('pages through large result sets', async () => {
    const t = tracker();
    await t.ensureVersion('TROPO', 'v50');
    for (let i = 0; i < 130; i++) jira.addIssue({ project: 'TROPO', summary: `Issue ${i}`, type: 'Task', fixVersion: 'v50', resolved: true });
    await expect(t.resolvedIssues('TROPO', 'v50')).resolves.toHaveLength(130);
  });
});

describe('sprints', () => {
  const sprints = [
    { name: 'v31 Sprint 1', start: '2025-03-10', end: '2025-03-24' },
    { name: 'v31 Sprint 2', start: '2025-03-24', end: '2025-04-07' },
    { name: 'v31 Release', start: '2025-04-07', end: '2025-04-14' },
  ];

  it('creates the sprints once, matched by name', async () => {
    const first = await tracker().ensureSprints(7, sprints);
    const second = await tracker().ensureSprints(7, sprints);
    expect(first.map((s) => s.created)).toEqual([true, true, true]);
    expect(second).toEqual(first.map((s) => ({ ...s, created: false })));
    expect(jira.sprints(7)).toHaveLength(3);
    expect(jira.sprints(7)[0]).toMatchObject({ name: 'v31 Sprint 1', startDate: '2025-03-10T00:00:00.000Z', endDate: '2025-03-24T00:00:00.000Z' });
  });

  it('reports a sprint of the same name with other dates as a conflict', async () => {
    await tracker().ensureSprints(7, [{ name: 'v32 Sprint 1', start: '2025-04-14', end: '2025-04-28' }]);
    const err = await tracker().ensureSprints(7, [{ name: 'v32 Sprint 1', start: '2025-04-15', end: '2025-04-28' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SprintConflictError);
    expect((err as Error).message).toContain('sprint "v32 Sprint 1" on JIRA board 7 already exists from 2025-04-14T00:00:00.000Z');
  });
});

describe('faults', () => {
  it('rejects bad credentials with a clear message that contains neither password nor token', async () => {
    const wrong = 'not-the-password-314';
    const err = await tracker({ password: wrong }).ensureVersion('ATMO', 'v31').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain('JIRA rejected the credentials');
    for (const secret of [wrong, PASSWORD, PAT]) expect(`${(err as Error).message} ${JSON.stringify(err)}`).not.toContain(secret);
    const patErr = await tracker({ username: undefined, password: undefined, token: 'bad-pat-000' }).ensureVersion('ATMO', 'v31').catch((e: unknown) => e);
    expect(patErr).toBeInstanceOf(AuthError);
    expect((patErr as Error).message).not.toContain('bad-pat-000');
  });

  it('hands a 429 to the caller with its Retry-After by default, and waits it out only when asked to', async () => {
    jira.faults.failNext({ status: 429, retryAfter: 2, method: 'POST' });
    await expect(tracker().ensureVersion('ATMO', 'v33')).rejects.toThrow(new RateLimitedError('JIRA', 2));
    expect(jira.versions('ATMO').filter((v) => v.name === 'v33')).toHaveLength(0);
    jira.faults.failNext({ status: 429, retryAfter: 2, method: 'POST' });
    await expect(tracker({ rateLimitRetries: 1 }).ensureVersion('ATMO', 'v33')).resolves.toMatchObject({ created: true });
    expect(jira.faults.pending()).toBe(0);
    expect(jira.versions('ATMO').filter((v) => v.name === 'v33')).toHaveLength(1);
  });

  it('gives up with the wait when Retry-After is too long', async () => {
    jira.faults.failNext({ status: 429, retryAfter: 900 });
    await expect(tracker().ensureVersion('ATMO', 'v34')).rejects.toThrow(new RateLimitedError('JIRA', 900));
  });

  it('retries two 500s and a hang, creating one version', async () => {
    jira.faults.failNext({ count: 2, status: 500, path: /\/version$/ });
    jira.faults.failNext({ hang: true, path: /\/versions$/ });
    await expect(tracker({ timeoutMs: 300 }).ensureVersion('ATMO', 'v35')).resolves.toMatchObject({ created: true });
    expect(jira.faults.injected).toBeGreaterThanOrEqual(3);
    expect(jira.versions('ATMO').filter((v) => v.name === 'v35')).toHaveLength(1);
  });

  it('turns a persistent 502 into ServiceUnavailableError', async () => {
    jira.faults.failNext({ count: 10, status: 502 });
    await expect(tracker().ensureVersion('ATMO', 'v36')).rejects.toThrow(ServiceUnavailableError);
  });
});
