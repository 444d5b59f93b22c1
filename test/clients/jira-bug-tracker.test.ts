// The JIRA bug tracker against the fake's workflows and faults: closing by status category
// (Done without resolution, a required resolution on the transition screen, an automation that
// reopens), required fields on create, and every write once under processed-then-502, also
// while Cloud's search has not caught up with the new bug yet.
import { JiraRejectedError, JiraTransitionError } from '../../clients/jira-errors.js';
import { createJiraBugTracker, type BugTracker, type JiraTrackerOptions } from '../../clients/tracker.js';
import { startFakeJira, type FakeJira, type FakeJiraOptions } from '../fakes/jira.js';

const EMAIL = 'images@example.org';
const API_TOKEN = 'cloud-api-token-s3cret-7';
const PAT = 'dc-pat-s3cret-8';
const fast = { retryBaseDelayMs: 5, rateLimitSecondMs: 5, timeoutMs: 2000, consistencyDelayMs: 5 };

const fakes: FakeJira[] = [];
afterAll(async () => {
  for (const f of fakes) await f.close();
});

async function setup(deployment: 'cloud' | 'datacenter', extra: Partial<FakeJiraOptions> = {}, options: Partial<JiraTrackerOptions> = {}) {
  const jira = await startFakeJira({
    deployment, projects: ['ATMO'], ...(deployment === 'cloud' ? { users: { [EMAIL]: API_TOKEN } } : { tokens: { [PAT]: 'imagebot' } }), ...extra,
  });
  fakes.push(jira);
  const tracker: BugTracker = createJiraBugTracker({
    project: 'ATMO', connection: { baseUrl: jira.url, email: EMAIL, token: deployment === 'cloud' ? API_TOKEN : PAT, ...fast }, ...options,
  });
  return { jira, tracker };
}

describe.each(['cloud', 'datacenter'] as const)('on Jira %s', (deployment) => {
  it('closes on a workflow whose Done sets no resolution, and then no longer finds the bug open', async () => {
    const { jira, tracker } = await setup(deployment, { workflow: 'simple' });
    const bug = await tracker.file('atomic', 'atomic failing', 'red', 'atomic-1');
    await expect(tracker.findOpen('atomic')).resolves.toEqual(bug);
    await expect(tracker.close(bug.id, 'green again; closing', 'atomic-2')).resolves.toBe(true);
    expect(jira.isDone(bug.id)).toBe(true);
    expect(jira.issue(bug.id).fields.resolution).toBeNull();
    await expect(tracker.findOpen('atomic')).resolves.toBeUndefined();
    await expect(tracker.close(bug.id, 'green again; closing', 'atomic-2')).resolves.toBe(false);
    expect(jira.issue(bug.id).comments.map((c) => c.body)).toEqual(['green again; closing\n\nstratus-ref: atomic-2']);
  });

  it('sets the resolution the transition screen requires, preferring "Done" over the first offered', async () => {
    const { jira, tracker } = await setup(deployment, { workflow: 'resolution-screen' });
    const bug = await tracker.file('atomic', 'atomic failing', 'red', 'atomic-1');
    await tracker.close(bug.id, 'closing', 'atomic-2');
    expect(jira.issue(bug.id).fields.resolution).toMatchObject({ name: 'Done' });
    expect(jira.isDone(bug.id)).toBe(true);
  });

  it('fails non-retryably, saying where the transition left the bug, when an automation reopens it; the comment is not repeated', async () => {
    const { jira, tracker } = await setup(deployment, { workflow: 'reopens' });
    const bug = await tracker.file('atomic', 'atomic failing', 'red', 'atomic-1');
    for (let i = 0; i < 2; i++) {
      const err = await tracker.close(bug.id, 'closing', 'atomic-2').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JiraTransitionError);
      expect((err as Error).message).toBe(`transition "Done" (id 31) left JIRA issue ${bug.id} in status "To Do" (category To Do), not in a Done-category status`);
    }
    expect(jira.issue(bug.id).comments).toHaveLength(1);
  });

  it('names the field a project requires on create, and files once the tracker sets it', async () => {
    const required = { requiredOnCreate: { components: 'Component/s' } };
    const { jira, tracker } = await setup(deployment, required);
    const err = await tracker.file('atomic', 'atomic failing', 'red', 'atomic-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JiraRejectedError);
    expect((err as JiraRejectedError).fields).toEqual({ components: 'Component/s is required.' });
    expect((err as Error).message).toBe('JIRA rejected filing a bug for atomic in ATMO (HTTP 400): components: Component/s is required.');
    const withField = createJiraBugTracker({
      project: 'ATMO', connection: { baseUrl: jira.url, email: EMAIL, token: deployment === 'cloud' ? API_TOKEN : PAT, ...fast },
      fields: { components: [{ name: 'images' }] },
    });
    await expect(withField.file('atomic', 'atomic failing', 'red', 'atomic-1')).resolves.toMatchObject({ id: 'ATMO-1' });
  });

  it('files, comments and closes once each when JIRA did the work but answered 502', async () => {
    const { jira, tracker } = await setup(deployment, deployment === 'cloud' ? { searchLag: 2 } : {});
    jira.processThenFail({ path: /\/rest\/api\/2\/issue$/, method: 'POST' });
    const bug = await tracker.file('atomic', 'atomic failing', 'red', 'atomic-1');
    expect(jira.issues('ATMO')).toHaveLength(1);

    jira.processThenFail({ path: /\/comment$/, method: 'POST' });
    await expect(tracker.comment(bug.id, 'still red', 'atomic-2')).resolves.toBe(true);
    await expect(tracker.comment(bug.id, 'still red', 'atomic-2')).resolves.toBe(false);

    jira.processThenFail({ path: /\/transitions$/, method: 'POST' });
    await expect(tracker.close(bug.id, 'green', 'atomic-3')).resolves.toBe(true);
    expect(jira.isDone(bug.id)).toBe(true);
    expect(jira.issue(bug.id).comments.map((c) => c.body.split('\n')[0])).toEqual(['still red', 'green']);
    expect(jira.issues('ATMO')).toHaveLength(1);
  });

  it('finds its marker among more comments than one page holds', async () => {
    const { jira, tracker } = await setup(deployment);
    const bug = await tracker.file('atomic', 'atomic failing', 'red', 'atomic-1');
    for (let i = 0; i < 120; i++) await tracker.comment(bug.id, `note ${i}`);
    await tracker.comment(bug.id, 'the one', 'atomic-2');
    await expect(tracker.mentions(bug.id, 'atomic-2')).resolves.toBe(true);
    await expect(tracker.comment(bug.id, 'the one', 'atomic-2')).resolves.toBe(false);
    expect(jira.issue(bug.id).comments).toHaveLength(121);
  });
});

it('on Cloud, a lost answer whose bug search cannot see yet fails retryably instead of filing twice', async () => {
  const { jira, tracker } = await setup('cloud', { searchLag: 50 });
  jira.processThenFail({ path: /\/rest\/api\/2\/issue$/, method: 'POST' });
  const err = await tracker.file('atomic', 'atomic failing', 'red', 'atomic-1').catch((e: unknown) => e);
  expect((err as Error).name).toBe('ServiceUnavailableError');
  expect(jira.issues('ATMO')).toHaveLength(1);
});
