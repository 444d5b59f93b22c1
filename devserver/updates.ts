// Workflow updates: admission, delivery to the worker as protocol messages with the next
// workflow task, the worker's acceptance / rejection / response, and the callers' long polls.
import type { Engine } from './engine.js';
import { waitUntil } from './engine.js';
import { GrpcError, type Msg, decode, encode, invalidArgument, notFound } from './proto.js';
import type { Run, UpdateState, WorkflowTask } from './types.js';

const UPDATE_LONG_POLL_MS = 20_000;
/** The real server's default limit of updates admitted or accepted and not yet completed, per workflow. */
export const MAX_IN_FLIGHT_UPDATES = 10;

/** The checks of an update request that need no workflow; returns its id. */
export function checkUpdateRequest(request: Msg): string {
  const id = request.meta?.updateId as string | undefined;
  if (!id) throw invalidArgument('Update id is not set on request.');
  if (!request.input?.name) throw invalidArgument('Update name is not set on request.');
  return id;
}

export function admitUpdate(engine: Engine, run: Run, request: Msg, encoded: Buffer): UpdateState {
  const id = checkUpdateRequest(request);
  const existing = run.updates.get(id);
  if (existing) return existing;
  if (!engine.isOpen(run)) throw notFound('workflow execution already completed');
  let inFlight = 0;
  for (const x of run.updates.values()) if (x.stage !== 'completed') inFlight++;
  if (inFlight >= MAX_IN_FLIGHT_UPDATES) {
    throw new GrpcError(8, `limit on number of concurrent in-flight updates has been reached (${MAX_IN_FLIGHT_UPDATES})`, {
      typeName: 'temporal.api.errordetails.v1.ResourceExhaustedFailure',
      value: { cause: 'RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT', scope: 'RESOURCE_EXHAUSTED_SCOPE_NAMESPACE' },
    });
  }
  const u: UpdateState = { id, request: { ...request, __encoded: encoded }, stage: 'admitted', waiters: [] };
  run.updates.set(id, u);
  engine.onRunChange(run);
  engine.scheduleWorkflowTask(run, { speculative: true });
  engine.changed();
  return u;
}

/** Waits until the update reaches `stage` (or the long poll ends); returns the response. */
export async function waitUpdate(run: Run, u: UpdateState, stage: string): Promise<Msg> {
  const wanted = stage === 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED' ? 'completed' : 'accepted';
  const reached = () => u.stage === 'completed' || (wanted === 'accepted' && u.stage === 'accepted');
  if (!reached() && !u.error) await waitUntil(u.waiters, () => reached() || !!u.error, UPDATE_LONG_POLL_MS);
  if (u.error) throw u.error;
  const stageName = {
    admitted: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED',
    accepted: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED',
    completed: 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED',
  }[u.stage];
  return {
    updateRef: { workflowExecution: { workflowId: run.workflowId, runId: run.runId }, updateId: u.id },
    outcome: u.stage === 'completed' ? u.outcome : undefined,
    stage: stageName,
  };
}

export function settleUpdate(u: UpdateState): void {
  for (const w of u.waiters.splice(0)) w();
}

/** The protocol messages carrying the admitted updates to the worker with workflow task `wft`. */
export function updateRequestMessages(run: Run, wft: WorkflowTask): Msg[] {
  const messages: Msg[] = [];
  for (const u of run.updates.values()) {
    if (u.stage !== 'admitted' || u.durable) continue;
    wft.updates.push(u.id);
    messages.push({
      id: `${u.id}/request`,
      protocolInstanceId: u.id,
      eventId: wft.startedEventId - 1,
      body: { type_url: 'type.googleapis.com/temporal.api.update.v1.Request', value: u.request.__encoded },
    });
  }
  return messages;
}

/** Update protocol messages from the worker: acceptance, rejection, response. */
export function applyUpdateMessage(engine: Engine, run: Run, m: Msg): void {
  const body = m.body;
  const url = String(body?.type_url ?? '').replace(/^type\.googleapis\.com\//, '');
  const u: UpdateState | undefined = run.updates.get(m.protocolInstanceId);
  if (!u || !url) return;
  const value = decode(url, body.value as Uint8Array);
  if (url === 'temporal.api.update.v1.Acceptance') {
    if (u.stage !== 'admitted') return;
    u.acceptedEventId = engine.append(run, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED', 'workflowExecutionUpdateAcceptedEventAttributes', {
      protocolInstanceId: u.id,
      acceptedRequestMessageId: value.acceptedRequestMessageId,
      acceptedRequestSequencingEventId: value.acceptedRequestSequencingEventId,
      acceptedRequest: value.acceptedRequest,
    });
    u.stage = 'accepted';
  } else if (url === 'temporal.api.update.v1.Rejection') {
    if (u.stage !== 'admitted') return;
    u.stage = 'completed';
    u.outcome = { failure: value.failure };
    run.updates.delete(u.id); // a rejected update leaves no trace in history
    engine.onRunChange(run);
  } else if (url === 'temporal.api.update.v1.Response') {
    if (u.stage !== 'accepted') return;
    engine.append(run, 'WORKFLOW_EXECUTION_UPDATE_COMPLETED', 'workflowExecutionUpdateCompletedEventAttributes', {
      meta: value.meta,
      acceptedEventId: u.acceptedEventId,
      outcome: value.outcome,
    });
    u.stage = 'completed';
    u.outcome = value.outcome;
  }
  settleUpdate(u);
}

/**
 * The run closed: an accepted update still running completes with the failure the real server
 * gives (AcceptedUpdateCompletedWorkflow); one not yet accepted fails its caller, who retries on
 * the next run when the workflow continued as new.
 */
export function abortUpdates(run: Run): void {
  for (const u of run.updates.values()) {
    if (u.stage === 'accepted') {
      u.stage = 'completed';
      u.outcome = {
        failure: {
          message: 'Workflow Update failed because the Workflow completed before the Update completed.',
          source: 'Server',
          applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
        },
      };
    } else if (u.stage === 'admitted') {
      u.error = run.newRunId
        ? new GrpcError(14, 'workflow operation can not be applied because workflow is closing')
        : notFound('workflow execution already completed');
      run.updates.delete(u.id);
    }
    settleUpdate(u);
  }
}

/** Encodes an update request as the worker receives it in a protocol message. */
export function encodeUpdateRequest(request: Msg): Buffer {
  if (!request) throw invalidArgument('Update request is not set.');
  return encode('temporal.api.update.v1.Request', request);
}
