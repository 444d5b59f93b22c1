// Conformance: the BuildIds system search attribute. The real server writes it when a workflow
// task completes; with no worker versioning every run is "unversioned". describe() shows it (as
// a list: the SDK decodes the KeywordList type), List queries filter on it, and continue-as-new
// does not carry it over (the new run gets its own when its first task completes).
import { useConformanceWorker } from './conformance-env.js';

const taskQueue = 'conformance-build-ids';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;

test('a run whose workflow task completed has BuildIds ["unversioned"] in describe() and in List', async () => {
  const client = conformance.t.env.client;
  const handle = await client.workflow.start('greeting', { taskQueue, workflowId: id('bid'), args: ['build'] });
  await handle.result();
  const described = await handle.describe();
  expect(described.searchAttributes.BuildIds).toEqual(['unversioned']);
  const listed: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}' AND BuildIds = 'unversioned'` })) listed.push(w.runId);
  expect(listed).toEqual([described.runId]);
});

test('a workflow cannot set BuildIds itself: the server manages it', async () => {
  const client = conformance.t.env.client;
  await expect(client.workflow.start('greeting', { taskQueue, workflowId: id('set'), args: ['x'], searchAttributes: { BuildIds: ['mine'] } }))
    .rejects.toHaveProperty('cause.details', "BuildIds attribute can't be set in SearchAttributes");
});

test('a workflow started but not yet picked up by a worker has no BuildIds', async () => {
  const client = conformance.t.env.client;
  const handle = await client.workflow.start('greeting', { taskQueue: 'conformance-build-ids-nobody', workflowId: id('none'), args: ['x'] });
  const described = await handle.describe();
  expect(described.searchAttributes.BuildIds).toBeUndefined();
  await handle.terminate();
});
