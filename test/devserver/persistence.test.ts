// --db: a restarted server keeps its workflows, their histories, timers and pending work.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer } from '../../devserver/index.js';
import { quietRuntime } from '../support/temporal.js';
import { withServer, withWorker } from './persistence-support.js';

const dir = mkdtempSync(join(tmpdir(), 'stratus-db-'));
const dbFile = join(dir, 'state', 'dev.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => quietRuntime());



test('workflows survive a restart: state, history, signals, timers and completed runs', async () => {
  const before = await withServer(dbFile, async (server, client) => {
    const done = await client.workflow.start('greeting', { taskQueue: 'persist', workflowId: 'persisted-done', args: ['before'] });
    const counter = await client.workflow.start('counter', { taskQueue: 'persist', workflowId: 'persisted-counter', args: [1] });
    const sleeper = await client.workflow.start('sleeper', { taskQueue: 'persist', workflowId: 'persisted-sleeper', args: [1500] });
    await withWorker(server, 'persist', async () => {
      await done.result();
      await counter.signal('increment', 2);
      expect(await counter.query('count')).toBe(3);
    });
    // signalled while no worker runs: the event waits in history for the next worker
    await counter.signal('increment', 4);
    return { sleeperRun: sleeper.firstExecutionRunId, historyLength: (await counter.fetchHistory()).events!.length };
  });

  await withServer(dbFile, async (server, client) => {
    const counter = client.workflow.getHandle('persisted-counter');
    expect((await counter.fetchHistory()).events!.length).toBeGreaterThanOrEqual(before.historyLength);
    expect(await client.workflow.getHandle('persisted-done').result()).toBe('hello, before');
    await withWorker(server, 'persist', async () => {
      expect(await counter.query('count')).toBe(7);
      await counter.signal('done');
      expect(await counter.result()).toBe(7);
      const slept = await client.workflow.getHandle('persisted-sleeper', before.sleeperRun).result();
      expect(slept.ended - slept.started).toBeGreaterThanOrEqual(1500);
    });
    expect((await client.workflow.count(`WorkflowId = 'persisted-counter' AND ExecutionStatus = 'Completed'`)).count).toBe(1);
  });
}, 60_000);

test('an unreadable state file is a clear error naming the file', async () => {
  const bad = join(dir, 'bad.json');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(bad, '{not json');
  await expect(startEmbeddedServer({ port: 0, dbFile: bad, log: () => undefined })).rejects.toThrow(`cannot read the state file ${bad}`);
});
