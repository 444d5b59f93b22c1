import { createTrackerActivities, type TrackerActivities } from '../../activities/tracker.js';
import { createGithubCodeHost } from '../../clients/github.js';
import { createGithubBugTracker, createJiraBugTracker, type BugTracker } from '../../clients/tracker.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { startFakeJira, type FakeJira } from '../fakes/jira.js';

const TOKEN = 'ghp_tracker_bot_token';
const PAT = 'jira-tracker-pat';
const CLOUD_EMAIL = 'imagebot@example.org';
const CLOUD_TOKEN = 'jira-cloud-api-token';
const REPO = 'fedora/atomic-images';

let gh: FakeGithub;
let jira: FakeJira;
let cloud: FakeJira;

beforeAll(async () => {
  gh = await startFakeGithub({ tokens: { [TOKEN]: 'imagebot' }, repos: { [REPO]: { writers: ['imagebot'] } } });
  jira = await startFakeJira({ tokens: { [PAT]: 'imagebot' }, projects: ['ATMO'] });
  // Cloud with a team-managed workflow (Done sets no resolution) and a search index that lags.
  cloud = await startFakeJira({ deployment: 'cloud', users: { [CLOUD_EMAIL]: CLOUD_TOKEN }, projects: ['ATMO'], workflow: 'simple', searchLag: 2 });
});
afterAll(async () => {
  await gh.close();
  await jira.close();
  await cloud.close();
});
afterEach(() => {
  gh.faults.reset();
  jira.faults.reset();
  cloud.faults.reset();
});

interface Backend {
  name: string;
  tracker: () => BugTracker;
  /** Bugs of the stream as the service holds them: state and comment bodies. */
  bugs: (stream: string) => Array<{ open: boolean; description: string; comments: string[] }>;
  failNextComment: () => void;
}

const backends: Backend[] = [
  {
    name: 'GitHub issues',
    tracker: () => createGithubBugTracker({
      repo: REPO, codeHost: createGithubCodeHost({ token: TOKEN, baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0 }),
    }),
    bugs: (stream) => gh.issues(REPO).filter((i) => i.labels.includes(`stratus-${stream}`)).map((i) => ({
      open: i.state === 'open', description: i.body ?? '', comments: gh.comments(REPO, i.number).map((c) => c.body),
    })),
    failNextComment: () => gh.secondaryRateLimitNext({ status: 403, retryAfter: 1, path: /\/comments$/ }),
  },
  {
    name: 'JIRA Data Center',
    tracker: () => createJiraBugTracker({
      project: 'ATMO', connection: { baseUrl: jira.url, token: PAT, retryBaseDelayMs: 5, rateLimitSecondMs: 5 },
    }),
    bugs: (stream) => jira.issues('ATMO').filter((i) => i.fields.labels.includes(`stratus-${stream}`)).map((i) => ({
      open: !jira.isDone(i.key), description: i.fields.description ?? '', comments: i.comments.map((c) => c.body),
    })),
    failNextComment: () => jira.processThenFail({ status: 502, path: /\/comment$/, method: 'POST' }),
  },
  {
    name: 'JIRA Cloud',
    tracker: () => createJiraBugTracker({
      project: 'ATMO', connection: { baseUrl: cloud.url, email: CLOUD_EMAIL, token: CLOUD_TOKEN, retryBaseDelayMs: 5, rateLimitSecondMs: 5, consistencyDelayMs: 5 },
    }),
    bugs: (stream) => cloud.issues('ATMO').filter((i) => i.fields.labels.includes(`stratus-${stream}`)).map((i) => ({
      open: !cloud.isDone(i.key), description: i.fields.description ?? '', comments: i.comments.map((c) => c.body),
    })),
    failNextComment: () => cloud.processThenFail({ status: 502, path: /\/comment$/, method: 'POST' }),
  },
];

describe.each(backends)('tracker bug on $name', (backend) => {
  let a: TrackerActivities;
  const stream = `atomic-${backend.name.replace(/\W+/g, '-').toLowerCase()}`;
  beforeAll(() => {
    a = createTrackerActivities({ trackers: { [stream]: backend.tracker() } });
  });

  it('files on the first failure, comments on the next, closes on a pass, each exactly once', async () => {
    const fail = (buildId: string) => a.reportBuildFailure({ stream, buildId, title: `${stream}: nightly build failing`, body: `Build ${buildId} failed: boot test timed out` });

    const filed = await fail(`${stream}-20250301.1`);
    expect(filed.action).toBe('filed');
    expect(filed.bug?.url).toMatch(/^http/);
    await expect(fail(`${stream}-20250301.1`)).resolves.toEqual({ action: 'already-reported', bug: filed.bug });

    backend.failNextComment();
    await expect(fail(`${stream}-20250302.1`)).resolves.toEqual({ action: 'commented', bug: filed.bug });
    await expect(fail(`${stream}-20250302.1`)).resolves.toEqual({ action: 'already-reported', bug: filed.bug });

    const success = { stream, buildId: `${stream}-20250303.1`, comment: 'Build passed all blocking tests; closing.' };
    await expect(a.reportBuildSuccess(success)).resolves.toEqual({ action: 'closed', bug: filed.bug });
    await expect(a.reportBuildSuccess(success)).resolves.toEqual({ action: 'no-open-bug' });

    const bugs = backend.bugs(stream);
    expect(bugs).toHaveLength(1);
    expect(bugs[0].open).toBe(false);
    expect(bugs[0].description).toContain('boot test timed out');
    expect(bugs[0].comments).toHaveLength(2);
    expect(bugs[0].comments[0]).toContain(`Build ${stream}-20250302.1 failed`);
    expect(bugs[0].comments[1]).toContain('closing');
  });

  it('files a fresh bug when the stream fails again after the last bug was closed', async () => {
    const again = await a.reportBuildFailure({ stream, buildId: `${stream}-20250310.1`, title: 'failing again', body: 'red' });
    expect(again.action).toBe('filed');
    expect(backend.bugs(stream).map((b) => b.open)).toEqual([false, true]);
  });
});

it('does nothing for a stream without a tracker', async () => {
  const a = createTrackerActivities({ trackers: {} });
  await expect(a.reportBuildFailure({ stream: 'plain', buildId: 'plain-20250301.1', title: 't', body: 'b' })).resolves.toEqual({ action: 'no-tracker' });
  await expect(a.reportBuildSuccess({ stream: 'plain', buildId: 'plain-20250301.1', comment: 'c' })).resolves.toEqual({ action: 'no-tracker' });
});

it('rejects a stream name that cannot be a label, naming it', async () => {
  const a = createTrackerActivities({ trackers: { 'bad stream': backends[0].tracker() } });
  await expect(a.reportBuildFailure({ stream: 'bad stream', buildId: 'x-1', title: 't', body: 'b' }))
    .rejects.toMatchObject({ type: 'InvalidName', nonRetryable: true, message: expect.stringContaining('invalid stream key "bad stream"') });
});

it('fails a close that JIRA leaves open non-retryably, naming the transition and the status', async () => {
  const reopening = await startFakeJira({ tokens: { [PAT]: 'imagebot' }, projects: ['ATMO'], workflow: 'reopens' });
  try {
    const a = createTrackerActivities({
      trackers: { atomic: createJiraBugTracker({ project: 'ATMO', connection: { baseUrl: reopening.url, token: PAT, retryBaseDelayMs: 5 } }) },
    });
    await a.reportBuildFailure({ stream: 'atomic', buildId: 'atomic-1', title: 'failing', body: 'red' });
    await expect(a.reportBuildSuccess({ stream: 'atomic', buildId: 'atomic-2', comment: 'green' })).rejects.toMatchObject({
      type: 'JiraTransition', nonRetryable: true, message: 'transition "Done" (id 31) left JIRA issue ATMO-1 in status "To Do" (category To Do), not in a Done-category status',
    });
  } finally {
    await reopening.close();
  }
});
