import { ApplicationFailure } from '@temporalio/common';
import { createJiraActivities, type JiraActivities } from '../../activities/jira.js';
import { createJiraReleaseTracker } from '../../clients/jira.js';
import { startFakeJira, type FakeJira } from '../fakes/jira.js';

const PASSWORD = 'rel-pass-9f8e7d';

let jira: FakeJira;

beforeAll(async () => {
  jira = await startFakeJira({ users: { release: PASSWORD }, projects: ['ATMO'], boards: { 3: 'ATMO' } });
});
afterAll(() => jira.close());
afterEach(() => jira.faults.reset());

function activities(password = PASSWORD): JiraActivities {
  return createJiraActivities({
    releaseTracker: createJiraReleaseTracker({ baseUrl: jira.url, username: 'release', password, retryBaseDelayMs: 5, rateLimitSecondMs: 5 }),
  });
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

it('runs a release through JIRA: version, sprints, notes, release with carry-over; every step safe to repeat', async () => {
  const a = activities();
  const sprints = [
    { name: 'v31 Sprint 1', start: '2025-03-03', end: '2025-03-17' },
    { name: 'v31 Sprint 2', start: '2025-03-17', end: '2025-03-31' },
    { name: 'v31 Release', start: '2025-03-31', end: '2025-04-07' },
  ];
  for (let run = 0; run < 2; run++) {
    await a.ensureJiraVersion({ project: 'ATMO', version: 'v31' });
    await a.ensureSprints({ board: 3, sprints });
  }
  expect(jira.versions('ATMO').map((v) => v.name)).toEqual(['v31']);
  expect(jira.sprints(3).map((s) => s.name)).toEqual(sprints.map((s) => s.name));

  const bug = jira.addIssue({ project: 'ATMO', summary: 'Instance list <empty>', type: 'Bug', fixVersion: 'v31', resolved: true });
  const feat = jira.addIssue({ project: 'ATMO', summary: 'Shelve from the UI', type: 'New Feature', fixVersion: 'v31', resolved: true });
  const late = jira.addIssue({ project: 'ATMO', summary: 'Not done yet', type: 'Improvement', fixVersion: 'v31' });

  const notes = await a.collectReleaseNotes({ project: 'ATMO', version: 'v31', codename: 'zesty-zapdos' });
  expect(notes.issues.map((i) => i.key)).toEqual([bug, feat]);
  expect(notes.markdown).toBe(`# v31 (zesty-zapdos)\n\n## Bugs\n\n- ${bug}: Instance list \\<empty\\>\n\n## New Features\n\n- ${feat}: Shelve from the UI\n`);

  const released = await a.releaseJiraVersion({ project: 'ATMO', version: 'v31', date: '2025-04-07', moveUnresolvedTo: 'v32' });
  expect(released).toMatchObject({ version: { name: 'v31', released: true, releaseDate: '2025-04-07' }, moved: [late] });
  const again = await a.releaseJiraVersion({ project: 'ATMO', version: 'v31', date: '2025-04-07', moveUnresolvedTo: 'v32' });
  expect(again).toMatchObject({ version: { released: true }, moved: [] });
  expect(jira.issue(late).fields.fixVersions.map((v) => v.name)).toEqual(['v32']);
  expect(jira.versions('ATMO').map((v) => [v.name, v.released])).toEqual([['v31', true], ['v32', false]]);

  const f = await failure(a.ensureJiraVersion({ project: 'ATMO', version: 'v31' }));
  expect(f).toMatchObject({ type: 'VersionAlreadyReleased', nonRetryable: true, details: [{ project: 'ATMO', version: 'v31', releaseDate: '2025-04-07' }] });
  expect(f.message).toContain('JIRA version v31 of project ATMO is already released');
});

it('reports a sprint clash as a non-retryable conflict naming the sprint', async () => {
  await activities().ensureSprints({ board: 3, sprints: [{ name: 'v40 Sprint 1', start: '2025-06-02', end: '2025-06-16' }] });
  const f = await failure(activities().ensureSprints({ board: 3, sprints: [{ name: 'v40 Sprint 1', start: '2025-06-02', end: '2025-06-20' }] }));
  expect(f).toMatchObject({ type: 'SprintConflict', nonRetryable: true, details: [{ board: 3, sprint: 'v40 Sprint 1' }] });
});

it('names the missing version when collecting notes for a version that does not exist', async () => {
  const f = await failure(activities().collectReleaseNotes({ project: 'ATMO', version: 'v77' }));
  expect(f).toMatchObject({ type: 'VersionNotFound', nonRetryable: true });
  expect(f.message).toBe('JIRA project ATMO has no version v77');
});

it('fails non-retryably on a bad password without revealing it', async () => {
  const wrong = 'wrong-pass-0000';
  const f = await failure(activities(wrong).ensureJiraVersion({ project: 'ATMO', version: 'v50' }));
  expect(f).toMatchObject({ type: 'Unauthorized', nonRetryable: true });
  expect(JSON.stringify({ m: f.message, d: f.details })).not.toMatch(/wrong-pass|rel-pass/);
});

it('hands a long JIRA rate limit to Temporal as nextRetryDelay', async () => {
  jira.faults.failNext({ status: 429, retryAfter: 600 });
  const f = await failure(activities().ensureJiraVersion({ project: 'ATMO', version: 'v51' }));
  expect(f).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: '600s' });
});

it('gives 403 and 404 their own non-retryable types, and keeps JIRA\'s field errors in the details', async () => {
  jira.faults.failNext({ status: 403, method: 'POST', body: { errorMessages: ['You cannot administer this project.'], errors: {} } });
  const denied = await failure(activities().ensureJiraVersion({ project: 'ATMO', version: 'v52' }));
  expect(denied).toMatchObject({ type: 'Forbidden', nonRetryable: true });
  expect(denied.message).toContain('You cannot administer this project.');
  const missing = await failure(activities().ensureJiraVersion({ project: 'GONE', version: 'v52' }));
  expect(missing).toMatchObject({ type: 'NotFound', nonRetryable: true });
  jira.faults.failNext({ status: 400, method: 'POST', body: { errorMessages: [], errors: { name: 'The version name is too long.' } } });
  const rejected = await failure(activities().ensureJiraVersion({ project: 'ATMO', version: 'v53' }));
  expect(rejected).toMatchObject({ type: 'RequestRejected', nonRetryable: true, details: [{ service: 'JIRA', status: 400, fields: { name: 'The version name is too long.' } }] });
});
