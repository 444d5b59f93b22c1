// The releases read model against a real train on the embedded server: the calendar settings the
// train was started with come from its first history event, so after `advance` the picture still
// shows the planned spans, and the trickle-down slots and the next lane follow the config.
import { loadReleases } from '../../dashboard/model.js';
import { calendarLanes, renderReleasesPage } from '../../dashboard/releases-page.js';
import { advanceUpdate } from '../../workflows/release-train-api.js';
import { tempDir } from '../support/git-repos.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { createOrigins, releaseActivities, runWorker, startTrain, trainConfig, waitForStatus, type RunningWorker } from '../workflows/release-train-support.js';

let t: TestEnv;
let dir: Awaited<ReturnType<typeof tempDir>>;
let worker: RunningWorker;

beforeAll(async () => {
  t = await createTestEnv();
  dir = await tempDir('stratus-dash-model-');
  const { origins, repos } = await createOrigins(dir.path, [['atmosphere', 'release-branch']]);
  worker = await runWorker(t, releaseActivities(dir.path, origins));
  const h = await startTrain(t, { version: 7, config: trainConfig(repos, { sprints: [{ name: 'Sprint 1', length: '2w', focus: 'bugs' }, { name: 'Release', length: '1w', focus: 'release' }] }) });
  await waitForStatus(h, (s) => s.stage === 'cycle', 'the cycle to start');
  await h.executeUpdate(advanceUpdate);
  await waitForStatus(h, (s) => s.phase?.name === 'Release', 'the release phase');
});
afterAll(async () => {
  await worker?.stop();
  await t?.teardown();
  await dir?.cleanup();
});

test('a train read from Temporal carries its start settings; the advanced phases keep their planned spans', async () => {
  const view = await loadReleases(t.env.client);
  expect(view.temporal).toBe('ok');
  const row = view.trains.find((x) => x.workflowId === 'release-v7')!;
  expect(row.plan).toEqual({ sprints: [{ name: 'Sprint 1', length: '2w', focus: 'bugs' }, { name: 'Release', length: '1w', focus: 'release' }], trickleDown: 'weekdays', trickleDownAt: '00:00' });
  const now = Date.parse(row.status!.calendar.phases[1]!.start) + 60_000;
  const [lane, next] = calendarLanes(view, now);
  const start = Date.parse(row.status!.calendar.start);
  expect(lane!.planned.map((p) => [p.name, Date.parse(p.start) - start, Date.parse(p.end) - start])).toEqual([['Sprint 1', 0, 14 * 86_400_000], ['Release', 14 * 86_400_000, 21 * 86_400_000]]);
  expect(Date.parse(lane!.actual[0]!.end) - start).toBeLessThan(86_400_000); // advanced within the first day
  expect(next).toMatchObject({ id: 'release-v8', next: true });
  expect(next!.actual[0]!.start).toBe(row.status!.calendar.end);
  const html = renderReleasesPage(view, { actions: false, now, temporalAddress: 'test' });
  expect(html.match(/data-bar="planned"/g)).toHaveLength(2);
  expect(html).toContain('<title>Sprint 1 as planned: ');
});
