// Conformance: an operator pauses, unpauses and resets activities (PauseActivity, UnpauseActivity,
// ResetActivity) while the real worker runs them, and sees it in describe().
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer } from '../../devserver/index.js';
import { workflowBundle } from '../support/temporal.js';
import { useConformanceWorker } from './conformance-env.js';
import { controlActivities, steering, type SteeredMode } from './conformance-control-activities.js';

const taskQueue = 'conformance-activity-control';
// heartbeats reach the server at once (the default throttle is 30 s without a heartbeat timeout)
const conformance = useConformanceWorker(taskQueue, {
  activities: controlActivities,
  defaultHeartbeatThrottleInterval: '50ms',
  maxHeartbeatThrottleInterval: '50ms',
});
const { id } = conformance;
const State = temporal.api.enums.v1.PendingActivityState;
type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;
const service = () => conformance.t.env.client.workflowService;
const namespace = 'default';

/** Starts a workflow running one `steered` activity per id, each in `mode`. */
async function startSteered(name: string, mode: SteeredMode, activityIds = ['work']) {
  const workflowId = id(name);
  for (const activityId of activityIds) steering(workflowId, activityId, mode);
  const handle = await conformance.t.env.client.workflow.start('steeredActivities', { taskQueue, workflowId, args: [activityIds] });
  return { workflowId, handle, steer: (activityId = 'work') => steering(workflowId, activityId) };
}

/** Waits (polling describe) until the pending activity `activityId` satisfies `ok`; returns it. */
async function pendingWhen(handle: WorkflowHandle, ok: (a: PendingActivity) => boolean, activityId = 'work'): Promise<PendingActivity> {
  let last: PendingActivity | undefined;
  for (let i = 0; i < 400; i++) {
    const { raw } = await handle.describe();
    last = raw.pendingActivities?.find((a) => a.activityId === activityId);
    if (last && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`activity ${activityId} never reached the expected state; last seen: ${JSON.stringify(last)}`);
}

type RpcError = Error & { code?: number; details?: string };
async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    return err as RpcError;
  }
  throw new Error('expected the call to fail');
}

test('pausing a heartbeating activity stops it, it is not retried while paused, and unpausing lets the workflow complete', async () => {
  const { workflowId, handle, steer } = await startSteered('pause-running', 'heartbeat');
  await pendingWhen(handle, (a) => a.state === State.PENDING_ACTIVITY_STATE_STARTED && !!a.heartbeatDetails);
  await service().pauseActivity({ namespace, execution: { workflowId }, id: 'work', identity: 'operator-7', reason: 'database maintenance' });

  // the worker learns of the pause from its next heartbeat and stops the attempt
  const paused = await pendingWhen(handle, (a) => a.state === State.PENDING_ACTIVITY_STATE_PAUSED);
  expect(steer().cancellations).toEqual(['paused']);
  expect(paused.paused).toBe(true);
  expect(paused.pauseInfo?.manual).toEqual({ identity: 'operator-7', reason: 'database maintenance' });
  expect(paused.pauseInfo?.pauseTime).toBeTruthy();
  expect(paused.attempt).toBe(2);
  expect(paused.lastFailure?.message).toBe('Activity paused');

  // two hours of (skipped) time: far past the one-hour retry, yet no new attempt
  await conformance.t.env.sleep('2 hours');
  expect(steer().attempts).toEqual([1]);
  expect((await pendingWhen(handle, () => true)).state).toBe(State.PENDING_ACTIVITY_STATE_PAUSED);

  steer().mode = 'succeed';
  await service().unpauseActivity({ namespace, execution: { workflowId }, id: 'work' });
  expect(await handle.result()).toEqual(['succeeded on attempt 2']);
  expect(steer().attempts).toEqual([1, 2]);
});

test('an activity paused while waiting for its retry is held back; unpausing with resetAttempts runs attempt 1 again', async () => {
  const { workflowId, handle, steer } = await startSteered('pause-waiting', 'fail');
  await pendingWhen(handle, (a) => a.attempt === 2 && a.lastFailure?.message === 'failed attempt 1');
  await service().pauseActivity({ namespace, execution: { workflowId }, id: 'work', identity: 'operator-7', reason: 'flaky dependency' });
  const paused = await pendingWhen(handle, () => true);
  expect(paused.state).toBe(State.PENDING_ACTIVITY_STATE_PAUSED);
  expect(paused.pauseInfo?.manual?.reason).toBe('flaky dependency');

  await conformance.t.env.sleep('3 hours');
  expect(steer().attempts).toEqual([1]);

  steer().mode = 'succeed';
  await service().unpauseActivity({ namespace, execution: { workflowId }, id: 'work', resetAttempts: true, resetHeartbeat: true });
  expect(await handle.result()).toEqual(['succeeded on attempt 1']);
  expect(steer().attempts).toEqual([1, 1]);
});

test('resetting an activity that keeps failing dispatches it at once as attempt 1', async () => {
  const { workflowId, handle, steer } = await startSteered('reset-failing', 'fail');
  await pendingWhen(handle, (a) => a.attempt === 2 && a.state === State.PENDING_ACTIVITY_STATE_SCHEDULED);
  steer().mode = 'succeed';
  await service().resetActivity({ namespace, execution: { workflowId }, id: 'work' });
  // had it waited for its retry (time skips while the result is awaited) it would run as attempt 2
  expect(await handle.result()).toEqual(['succeeded on attempt 1']);
  expect(steer().attempts).toEqual([1, 1]);
});

test('reset with keepPaused keeps a paused activity paused, back at attempt 1', async () => {
  const { workflowId, handle, steer } = await startSteered('reset-keep-paused', 'fail');
  await pendingWhen(handle, (a) => a.attempt === 2);
  await service().pauseActivity({ namespace, execution: { workflowId }, id: 'work' });
  await service().resetActivity({ namespace, execution: { workflowId }, id: 'work', keepPaused: true });
  const reset = await pendingWhen(handle, () => true);
  expect(reset.state).toBe(State.PENDING_ACTIVITY_STATE_PAUSED);
  expect(reset.attempt).toBe(1);
  expect(steer().attempts).toEqual([1]);

  steer().mode = 'succeed';
  await service().unpauseActivity({ namespace, execution: { workflowId }, id: 'work' });
  expect(await handle.result()).toEqual(['succeeded on attempt 1']);
});

test('resetting a running attempt: its heartbeat says reset, the worker stops it, the next attempt starts without heartbeat details', async () => {
  const { workflowId, handle, steer } = await startSteered('reset-running', 'heartbeat');
  await pendingWhen(handle, (a) => a.state === State.PENDING_ACTIVITY_STATE_STARTED && !!a.heartbeatDetails);
  await service().resetActivity({ namespace, execution: { workflowId }, id: 'work', resetHeartbeat: true });

  // as on the real server: the reset attempt counts as attempt 1, so the retry is attempt 2
  const retrying = await pendingWhen(handle, (a) => a.state === State.PENDING_ACTIVITY_STATE_SCHEDULED);
  expect(steer().cancellations).toEqual(['reset']);
  expect(retrying.attempt).toBe(2);
  expect(retrying.heartbeatDetails).toBeFalsy();
  expect(retrying.lastFailure?.message).toBe('Activity reset');

  steer().mode = 'succeed';
  expect(await handle.result()).toEqual(['succeeded on attempt 2']);
});

test('by type: every pending activity of the type is paused, and unpaused', async () => {
  const ids = ['first', 'second'];
  const { workflowId, handle, steer } = await startSteered('by-type', 'heartbeat', ids);
  for (const a of ids) await pendingWhen(handle, (p) => p.state === State.PENDING_ACTIVITY_STATE_STARTED && !!p.heartbeatDetails, a);
  await service().pauseActivity({ namespace, execution: { workflowId }, type: 'steered', identity: 'operator-7' });
  for (const a of ids) {
    const p = await pendingWhen(handle, (x) => x.state === State.PENDING_ACTIVITY_STATE_PAUSED, a);
    expect(p.pauseInfo?.manual?.identity).toBe('operator-7');
    steer(a).mode = 'succeed';
  }
  await service().unpauseActivity({ namespace, execution: { workflowId }, type: 'steered' });
  expect(await handle.result()).toEqual(['succeeded on attempt 2', 'succeeded on attempt 2']);
});

test('matchAll resets every pending activity (keepPaused holds the paused one) and unpauseAll releases it', async () => {
  const ids = ['first', 'second'];
  const { workflowId, handle, steer } = await startSteered('match-all', 'fail', ids);
  for (const a of ids) await pendingWhen(handle, (p) => p.attempt === 2 && p.state === State.PENDING_ACTIVITY_STATE_SCHEDULED, a);
  await service().pauseActivity({ namespace, execution: { workflowId }, id: 'first' });
  for (const a of ids) steer(a).mode = 'succeed';
  await service().resetActivity({ namespace, execution: { workflowId }, matchAll: true, keepPaused: true });

  // the unpaused one runs at once as attempt 1; the paused one stays paused, now at attempt 1
  for (let i = 0; i < 400 && steer('second').attempts.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  expect(steer('second').attempts).toEqual([1, 1]);
  const held = await pendingWhen(handle, () => true, 'first');
  expect(held.state).toBe(State.PENDING_ACTIVITY_STATE_PAUSED);
  expect(held.attempt).toBe(1);

  await service().unpauseActivity({ namespace, execution: { workflowId }, unpauseAll: true });
  expect(await handle.result()).toEqual(['succeeded on attempt 1', 'succeeded on attempt 1']);
  expect(steer('first').attempts).toEqual([1, 1]);
});

test('heartbeats by id carry the pause and reset flags; a paused attempt that completes, completes', async () => {
  const { workflowId, handle, steer } = await startSteered('heartbeat-flags', 'hold');
  await pendingWhen(handle, (a) => a.state === State.PENDING_ACTIVITY_STATE_STARTED);
  const beat = () => service().recordActivityTaskHeartbeatById({ namespace, workflowId, activityId: 'work', identity: 'operator-tool' });
  expect(await beat()).toMatchObject({ cancelRequested: false, activityPaused: false, activityReset: false });

  await service().pauseActivity({ namespace, execution: { workflowId }, id: 'work' });
  expect(await beat()).toMatchObject({ activityPaused: true, activityReset: false });
  expect((await pendingWhen(handle, () => true)).state).toBe(State.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED);

  await service().resetActivity({ namespace, execution: { workflowId }, id: 'work' });
  expect(await beat()).toMatchObject({ activityPaused: true, activityReset: true });

  steer().mode = 'succeed';
  expect(await handle.result()).toEqual(['succeeded on attempt 1']);
});

test('unknown workflows and activities are NOT_FOUND naming them; a closed workflow answers as the real server', async () => {
  const unknownWorkflow = await rpcError(service().pauseActivity({ namespace, execution: { workflowId: 'no-such-workflow' }, id: 'work' }));
  expect(unknownWorkflow.code).toBe(5);
  expect(unknownWorkflow.message).toContain('workflow not found for ID: no-such-workflow');

  const { workflowId, handle, steer } = await startSteered('not-found', 'hold');
  await pendingWhen(handle, (a) => a.state === State.PENDING_ACTIVITY_STATE_STARTED);
  const byId = await rpcError(service().pauseActivity({ namespace, execution: { workflowId }, id: 'missing' }));
  expect(byId.code).toBe(5);
  expect(byId.message).toContain(`workflow "${workflowId}" has no pending activity with ID "missing"`);
  const byType = await rpcError(service().resetActivity({ namespace, execution: { workflowId }, type: 'noSuchType' }));
  expect(byType.code).toBe(5);
  expect(byType.message).toContain('has no pending activity of type "noSuchType"');

  steer().mode = 'succeed';
  await handle.result();
  for (const call of [
    service().pauseActivity({ namespace, execution: { workflowId }, id: 'work' }),
    service().unpauseActivity({ namespace, execution: { workflowId }, id: 'work' }),
    service().resetActivity({ namespace, execution: { workflowId }, id: 'work' }),
  ]) {
    const closed = await rpcError(call);
    expect(closed.code).toBe(5);
    expect(closed.message).toContain('workflow execution already completed');
  }
});

test('a request naming no activity, or no workflow, is INVALID_ARGUMENT naming the missing field', async () => {
  const noActivity = await rpcError(service().pauseActivity({ namespace, execution: { workflowId: 'any' } }));
  expect(noActivity.code).toBe(3);
  expect(noActivity.message).toContain('Either Activity.Id or Activity.Type should be set on request.');
  const noExecution = await rpcError(service().unpauseActivity({ namespace, id: 'work' }));
  expect(noExecution.code).toBe(3);
  expect(noExecution.message).toContain('Execution is not set on request.');
  const noWorkflowId = await rpcError(service().resetActivity({ namespace, execution: {}, id: 'work' }));
  expect(noWorkflowId.code).toBe(3);
  expect(noWorkflowId.message).toContain('WorkflowId is not set on request.');
});

test('a paused activity stays paused, with its pause info, across a restart of a --db server', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-pause-db-'));
  const dbFile = join(dir, 'dev.json');
  const workflowId = id('pause-persisted');
  steering(workflowId, 'work', 'fail');
  /** a server on the db file with a client and a worker on its own queue, closed after `fn` */
  async function withServer<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const server = await startEmbeddedServer({ port: 0, dbFile, log: () => undefined });
    const connection = await Connection.connect({ address: server.address });
    const workerConnection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection: workerConnection, taskQueue: 'pause-persisted', workflowBundle: workflowBundle('conformance'), activities: controlActivities });
    try {
      return await worker.runUntil(fn(new Client({ connection })));
    } finally {
      await workerConnection.close();
      await connection.close();
      await server.close();
    }
  }
  try {
    await withServer(async (client) => {
      const handle = await client.workflow.start('steeredActivities', { taskQueue: 'pause-persisted', workflowId, args: [['work']] });
      await pendingWhen(handle, (a) => a.attempt === 2);
      await client.workflowService.pauseActivity({ namespace, execution: { workflowId }, id: 'work', identity: 'operator-7', reason: 'before the restart' });
    });
    await withServer(async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      const paused = await pendingWhen(handle, () => true);
      expect(paused.state).toBe(State.PENDING_ACTIVITY_STATE_PAUSED);
      expect(paused.pauseInfo?.manual).toEqual({ identity: 'operator-7', reason: 'before the restart' });
      expect(steering(workflowId, 'work').attempts).toEqual([1]);
      steering(workflowId, 'work').mode = 'succeed';
      await client.workflowService.unpauseActivity({ namespace, execution: { workflowId }, id: 'work' });
      expect(await handle.result()).toEqual(['succeeded on attempt 2']);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
