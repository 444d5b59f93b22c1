// bin/stratus-temporal launched by the SDK itself, both ways it launches an existing-path server.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { quietRuntime, workflowBundle } from '../support/temporal.js';

beforeAll(() => quietRuntime());

const path = fileURLToPath(new URL('../../bin/stratus-temporal', import.meta.url));

async function runSleeper(env: TestWorkflowEnvironment, ms: number): Promise<{ started: number; ended: number }> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'exe',
    workflowBundle: workflowBundle('conformance'),
  });
  return await worker.runUntil(env.client.workflow.execute('sleeper', { taskQueue: 'exe', workflowId: `sleeper-${ms}`, args: [ms] }));
}

test('createTimeSkipping with an existing-path executable: a one-day timer is skipped', async () => {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  try {
    const before = Date.now();
    const { started, ended } = await runSleeper(env, 24 * 3600 * 1000);
    expect(ended - started).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    expect(Date.now() - before).toBeLessThan(10_000);
  } finally {
    await env.teardown();
  }
});

test('createLocal with an existing-path executable runs in real time on the requested namespace', async () => {
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path }, namespace: 'stratus-local' },
  });
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: 'stratus-local',
      taskQueue: 'exe',
      workflowBundle: workflowBundle('conformance'),
    });
    const { started, ended } = await worker.runUntil(
      env.client.workflow.execute('sleeper', { taskQueue: 'exe', workflowId: 'local-sleeper', args: [300] }),
    );
    expect(ended - started).toBeGreaterThanOrEqual(300);
    expect(ended - started).toBeLessThan(10_000);
    const ns = await env.connection.workflowService.describeNamespace({ namespace: 'stratus-local' });
    expect(ns.namespaceInfo?.name).toBe('stratus-local');
  } finally {
    await env.teardown();
  }
});
