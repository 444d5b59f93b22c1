import { createGithubCodeHost, type CodeHost } from '../../clients/github.js';
import { createGithubBugTracker } from '../../clients/tracker.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';

const WRITER = 'ghp_writer_issues';
const READER = 'ghp_reader_issues';
const REPO = 'cyverse/images';

let gh: FakeGithub;

beforeAll(async () => {
  gh = await startFakeGithub({ tokens: { [WRITER]: 'bob', [READER]: 'carol' }, repos: { [REPO]: { writers: ['bob'] } } });
});
afterAll(() => gh.close());
afterEach(() => gh.faults.reset());

const host = (token = WRITER): CodeHost => createGithubCodeHost({ token, baseUrl: gh.url, retryBaseDelayMs: 5, rateLimitSecondMs: 5, writeSpacingMs: 0, timeoutMs: 2000 });

describe('nothing is created twice when GitHub did the work and answered 502', () => {
  it('issues', async () => {
    gh.faults.failNext({ method: 'POST', path: /\/issues$/, status: 502, afterProcessing: true });
    const issue = await host().createIssue(REPO, 'Build failed', 'log', ['stratus-a'], 'stream/a');
    expect(issue).toMatchObject({ created: false, labels: ['stratus-a'] });
    expect(gh.issues(REPO).filter((i) => i.title === 'Build failed')).toHaveLength(1);
    await expect(host().createIssue(REPO, 'Build failed', 'log', ['stratus-a'], 'stream/a')).resolves.toMatchObject({ number: issue.number, created: false });
    expect(gh.issues(REPO).filter((i) => i.title === 'Build failed')).toHaveLength(1);
  });

  it('comments', async () => {
    const issue = await host().createIssue(REPO, 'Other', 'log', [], 'stream/b');
    gh.faults.failNext({ method: 'POST', path: /\/comments$/, status: 502, afterProcessing: true });
    await host().commentOnIssue(REPO, issue.number, 'failed again', 'build-7');
    await host().commentOnIssue(REPO, issue.number, 'failed again', 'build-7');
    expect(gh.comments(REPO, issue.number)).toHaveLength(1);
    expect(gh.comments(REPO, issue.number)[0].body).toBe('failed again\n\n<!-- stratus:key=build-7 -->');
  });
});

describe('labels GitHub drops', () => {
  it('the fake drops labels of a user without push access, as GitHub does', async () => {
    const issue = await host(READER).createIssue(REPO, 'Reader issue', 'x', ['stratus-c']);
    expect(issue.droppedLabels).toEqual(['stratus-c']);
    expect(gh.issues(REPO).find((i) => i.number === issue.number)?.labels).toEqual([]);
  });

  it('the tracker still finds its bug by the marker, and warns once', async () => {
    const warnings: string[] = [];
    const tracker = createGithubBugTracker({ repo: REPO, codeHost: host(READER), log: { warn: (m) => warnings.push(m) } });
    const first = await tracker.file('atomic-host', 'atomic-host nightly failed', 'log', 'build-1');
    expect(first.warning).toBe(`GitHub dropped the label stratus-atomic-host of issue #${first.id} in ${REPO} (the token lacks push or triage access); stratus finds the stream's bug by its hidden marker instead`);
    await expect(tracker.findOpen('atomic-host')).resolves.toMatchObject({ id: first.id });
    const again = await tracker.file('atomic-host', 'atomic-host nightly failed', 'log', 'build-2');
    expect(again.id).toBe(first.id);
    expect(warnings).toHaveLength(1);
    expect(gh.issues(REPO).filter((i) => i.title === 'atomic-host nightly failed')).toHaveLength(1);
    await expect(tracker.comment(first.id, 'failed again', 'build-2')).resolves.toBe(true);
    await expect(tracker.comment(first.id, 'failed again', 'build-2')).resolves.toBe(false);
  });
});

describe('labels', () => {
  it('creates a label once, also when GitHub created it and then answered 502', async () => {
    gh.faults.failNext({ method: 'POST', path: /\/labels$/, status: 502, afterProcessing: true });
    await expect(host().ensureLabel(REPO, 'stratus-new', 'ff0000')).resolves.toBe(false);
    await expect(host().ensureLabel(REPO, 'stratus-new', 'ff0000')).resolves.toBe(false);
    expect(gh.labels(REPO).filter((l) => l === 'stratus-new')).toHaveLength(1);
    await expect(host().ensureLabel(REPO, 'stratus-fresh')).resolves.toBe(true);
  });

  it('says the token may not create labels', async () => {
    await expect(host(READER).ensureLabel(REPO, 'stratus-denied')).rejects.toThrow('GitHub refused the write to cyverse/images: Resource not accessible by personal access token');
  });
});
