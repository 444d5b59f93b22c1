// A worker killed mid-activity: the activity times out, is retried, and another worker finishes
// the workflow; the workflow task waiting on the dead worker's sticky queue moves to the normal queue.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { createTestEnv, type TestEnv } from '../support/temporal.js';

const EventType = temporal.api.enums.v1.EventType;
let t: TestEnv;
let child: ChildProcess | undefined;

beforeAll(async () => {
  t = await createTestEnv();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await t?.teardown();
});

function waitForLine(proc: ChildProcess, line: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${line}; output so far: ${buf}`)), timeoutMs);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', (code) => reject(new Error(`worker process exited (${code}) before ${line}: ${buf}`)));
  });
}

test('killing a worker mid-activity loses nothing: another worker completes the workflow', async () => {
  const taskQueue = 'kill-queue';
  const script = fileURLToPath(new URL('./kill-worker-child.ts', import.meta.url));
  child = spawn(process.execPath, ['--import', 'tsx', script, t.server?.address ?? '', process.env.STRATUS_CONFORMANCE_BUNDLE!, taskQueue], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForLine(child, 'WORKER_READY');
  const handle = await t.env.client.workflow.start('waitsOnHangingActivity', { taskQueue, workflowId: 'killed-worker' });
  await waitForLine(child, 'ACTIVITY_STARTED');
  child.kill('SIGKILL');
  await new Promise((r) => child!.once('exit', r));

  const worker = await t.worker({
    taskQueue,
    activities: { hang: async () => 'answered by a healthy worker' },
  });
  const result = await worker.runUntil(handle.result());
  expect(result).toBe('answered by a healthy worker');

  const events = (await handle.fetchHistory()).events!;
  const started = events.find((e) => e.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!;
  expect(started.attempt).toBeGreaterThanOrEqual(2);
  expect(started.lastFailure?.message).toBe('activity StartToClose timeout');
  const types = events.map((e) => EventType[e.eventType!]);
  expect(types).toContain('EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT');
  expect(types[types.length - 1]).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
}, 60_000);
