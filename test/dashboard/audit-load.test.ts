// loadAudit against a real (embedded) Temporal server and worker: signals and updates recorded
// under the identities the clients connected with, a rejected update absent (Temporal keeps no
// trace of it), and a workflow that continued as new read back through every run.
import { Client, type Connection } from '@temporalio/client';
import { loadAudit } from '../../dashboard/audit-load.js';
import { createTestEnv, type TestEnv } from '../support/temporal.js';

const TQ = 'audit-load';
let t: TestEnv;
let stop: () => Promise<void>;
const as = (identity: string) => new Client({ connection: t.env.client.connection as Connection, namespace: 'default', identity });

beforeAll(async () => {
  t = await createTestEnv();
  const worker = await t.worker({ taskQueue: TQ }, 'conformance');
  const running = worker.run();
  stop = async () => {
    worker.shutdown();
    await running;
  };
});
afterAll(async () => {
  await stop?.();
  await t?.teardown();
});

test('who sent which signal and update, with arguments and outcome; a rejected update leaves no trace', async () => {
  const handle = await as('cli:alice').workflow.start('counter', { taskQueue: TQ, workflowId: 'audit-counter', args: [1] });
  await handle.signal('increment', 2);
  await as('dashboard:bob').workflow.getHandle('audit-counter').executeUpdate('add', { args: [5] });
  await expect(as('dashboard:mallory').workflow.getHandle('audit-counter').executeUpdate('add', { args: [-1] })).rejects.toThrow();
  await as('cli:carol').workflow.getHandle('audit-counter').signal('done');
  expect(await handle.result()).toBe(8);

  const view = await loadAudit(t.env.client, 'audit-counter');
  expect(view.runs).toHaveLength(1);
  expect(view.entries.map((e) => `${e.who} ${e.kind} ${e.name} ${JSON.stringify(e.args)} ${e.outcome}${e.result !== undefined ? ` = ${JSON.stringify(e.result)}` : ''}`)).toEqual([
    'cli:alice signal increment [2] signalled',
    'dashboard:bob update add [5] completed = 8',
    'cli:carol signal done [] signalled',
  ]);
});

test('across continue-as-new: every run read, newest first, each naming the run it continued', async () => {
  const handle = await as('cli:dave').workflow.signalWithStart('looping', { taskQueue: TQ, workflowId: 'audit-looping', args: [3], signal: 'increment', signalArgs: [1] });
  expect(await t.env.client.workflow.getHandle('audit-looping').result()).toEqual({ total: 6, runs: -1 }); // -1: the last run continued from another
  const view = await loadAudit(t.env.client, 'audit-looping');
  expect(view.runs).toHaveLength(4);
  expect(view.runs[3]!.runId).toBe(handle.signaledRunId);
  expect(view.runs[3]!.continuedFrom).toBeNull();
  for (let i = 0; i < 3; i++) expect(view.runs[i]!.continuedFrom).toBe(view.runs[i + 1]!.runId);
  expect(view.entries).toMatchObject([{ runId: handle.signaledRunId, who: 'cli:dave', kind: 'signal', name: 'increment', args: [1] }]);
  expect((await loadAudit(t.env.client, 'audit-looping', { maxRuns: 2 })).truncated).toBe(true);
  await expect(loadAudit(t.env.client, 'no-such-workflow')).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });
});
