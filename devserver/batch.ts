// Batch operations (StartBatchOperation, DescribeBatchOperation, StopBatchOperation,
// ListBatchOperations: what `temporal workflow terminate --query …` and `temporal batch …`
// call). As on the real server a job works in the background, one workflow execution at a time at
// up to `maxOperationsPerSecond` (capped at the server's 50, `worker.batcherRPS`), and a namespace
// runs one job at a time (`frontend.MaxConcurrentBatchOperationPerNamespace`). The targets are the
// runs a visibility query matches when the job starts, or the executions given. Terminate,
// cancel, signal, delete and reset (to the first or last workflow task, or a given one) are done;
// the activity and options operations answer INVALID_ARGUMENT naming the operation. Jobs are kept
// in memory (not in `--db`).
import { deleteExecution } from './delete-run.js';
import type { Engine } from './engine.js';
import { listRuns, pageOf } from './listing.js';
import { GrpcError, type Handler, type Msg, alreadyExists, invalidArgument, notFound, ts } from './proto.js';
import { resetWorkflowExecution } from './reset.js';
import { Status } from './status.js';
import type { Run } from './types.js';

const SERVER_RPS = 50;
const TICK_MS = 100;

type State = 'BATCH_OPERATION_STATE_RUNNING' | 'BATCH_OPERATION_STATE_COMPLETED' | 'BATCH_OPERATION_STATE_FAILED';

interface BatchJob {
  namespace: string;
  jobId: string;
  operationType: string;
  reason: string;
  identity: string;
  query: string;
  executions: Msg[];
  state: State;
  startTime: number;
  closeTime?: number;
  targets: Msg[];
  next: number;
  completed: number;
  failed: number;
  timer?: NodeJS.Timeout;
}

/** What one target gets: throws the error that makes it a failure. */
type Apply = (run: Run) => void;

/** The name of the request's operation field (`terminationOperation`, …), if one is set. */
function operationField(req: Msg): string | undefined {
  return Object.keys(req).find((k) => k.endsWith('Operation') && req[k]);
}

/** The job's operation type as DescribeBatchOperation names it, and what it does to each target. */
function operationOf(engine: Engine, req: Msg): { type: string; apply: Apply } {
  const reason = req.reason as string;
  if (req.terminationOperation) {
    const op = req.terminationOperation as Msg;
    return { type: 'BATCH_OPERATION_TYPE_TERMINATE', apply: (run) => engine.terminate(mustBeOpen(engine, run), reason, op.details, op.identity) };
  }
  if (req.cancellationOperation) {
    const op = req.cancellationOperation as Msg;
    return { type: 'BATCH_OPERATION_TYPE_CANCEL', apply: (run) => engine.requestCancel(mustBeOpen(engine, run), { reason, identity: op.identity }) };
  }
  if (req.signalOperation) {
    const op = req.signalOperation as Msg;
    if (!op.signal) throw invalidArgument('signalOperation.signal (the signal name) is not set on request.');
    return {
      type: 'BATCH_OPERATION_TYPE_SIGNAL',
      apply: (run) => engine.signal(mustBeOpen(engine, run), { signalName: op.signal, input: op.input, header: op.header, identity: op.identity }),
    };
  }
  if (req.deletionOperation) return { type: 'BATCH_OPERATION_TYPE_DELETE', apply: (run) => deleteExecution(engine, run) };
  if (req.resetOperation) {
    const op = req.resetOperation as Msg;
    return {
      type: 'BATCH_OPERATION_TYPE_RESET',
      apply: (run) => {
        resetWorkflowExecution(engine, {
          namespace: run.namespace,
          workflowExecution: { workflowId: run.workflowId, runId: run.runId },
          workflowTaskFinishEventId: resetPoint(run, op),
          reason,
          requestId: `${req.jobId}/${run.runId}`,
          resetReapplyType: op.resetReapplyType,
          postResetOperations: op.postResetOperations,
        });
      },
    };
  }
  const set = operationField(req);
  throw invalidArgument(set ? `${set} is not supported by this server's batch operations (terminate, cancel, signal, delete and reset are)` : 'Batch operation is not set on request.');
}

/** The executions a request names (`targetExecutions`, or the older `executions`), as workflow executions. */
function targetsGiven(req: Msg): Msg[] | undefined {
  if (req.targetExecutions?.length) {
    return (req.targetExecutions as Msg[]).map((e, i) => {
      if (e.type && !String(e.type).endsWith('_WORKFLOW') && !String(e.type).endsWith('_UNSPECIFIED')) {
        throw invalidArgument(`targetExecutions[${i}].type ${e.type}: only workflow executions can be the targets of a batch operation here`);
      }
      return { workflowId: e.businessId, runId: e.runId };
    });
  }
  return (req.executions as Msg[] | undefined)?.length ? (req.executions as Msg[]).map((e) => ({ workflowId: e.workflowId, runId: e.runId })) : undefined;
}

function mustBeOpen(engine: Engine, run: Run): Run {
  if (!engine.isOpen(run)) throw notFound('workflow execution already completed');
  return run;
}

/** The workflow task a batch reset goes back to: `options` (first, last or an event id) or the older `resetType`. */
function resetPoint(run: Run, op: Msg): number {
  const options = (op.options ?? {}) as Msg;
  if (options.workflowTaskId) return Number(options.workflowTaskId);
  const completed = run.history.filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED');
  const last = options.lastWorkflowTask || op.resetType === 'RESET_TYPE_LAST_WORKFLOW_TASK';
  const first = options.firstWorkflowTask || op.resetType === 'RESET_TYPE_FIRST_WORKFLOW_TASK';
  if (!first && !last) throw invalidArgument('resetOperation.options must name the workflow task to reset to (firstWorkflowTask, lastWorkflowTask or workflowTaskId)');
  const event = last ? completed[completed.length - 1] : completed[0];
  if (!event) throw invalidArgument('the workflow execution has no completed workflow task to reset to');
  return Number(event.eventId);
}

export function batchHandlers(engine: Engine): Record<string, Handler> {
  const jobs = new Map<string, BatchJob>();
  const key = (ns: string, jobId: string) => `${ns}/${jobId}`;
  const find = (req: Msg): BatchJob => {
    const ns = engine.namespace(req.namespace).name;
    if (!req.jobId) throw invalidArgument('JobId is not set on request.');
    const job = jobs.get(key(ns, req.jobId));
    if (!job) throw notFound(`workflow not found for ID: ${req.jobId}`);
    return job;
  };
  engine.onShutdown.push(() => {
    for (const job of jobs.values()) clearTimeout(job.timer);
  });
  const finish = (job: BatchJob, state: State) => {
    clearTimeout(job.timer);
    job.timer = undefined;
    job.state = state;
    job.closeTime = engine.clock.now();
  };

  return {
    StartBatchOperation: (req) => {
      if (!req.namespace) throw invalidArgument('Namespace not set on request.');
      const ns = engine.namespace(req.namespace).name;
      if (!req.jobId) throw invalidArgument('JobId is not set on request.');
      const given = targetsGiven(req);
      if (!req.visibilityQuery && !given?.length) throw invalidArgument('Workflow executions and visibility filter are not set on request.');
      if (req.visibilityQuery && given?.length) {
        throw invalidArgument('Workflow executions and visibility filter are both set on request. Only one of them is allowed.');
      }
      if (!req.reason) throw invalidArgument('Reason is not set on request.');
      const { type, apply } = operationOf(engine, req);
      // the request has no identity of its own: the operation's is the job's
      const identity = ((req[operationField(req) ?? ''] as Msg | undefined)?.identity as string | undefined) ?? '';
      if (jobs.has(key(ns, req.jobId))) throw alreadyExists(`Batch operation ${req.jobId} has already been started in namespace ${ns}.`);
      if ([...jobs.values()].some((j) => j.namespace === ns && j.state === 'BATCH_OPERATION_STATE_RUNNING')) {
        throw new GrpcError(Status.RESOURCE_EXHAUSTED, 'Max concurrent batch operations is reached', {
          typeName: 'temporal.api.errordetails.v1.ResourceExhaustedFailure',
          value: { cause: 'RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT', scope: 'RESOURCE_EXHAUSTED_SCOPE_NAMESPACE' },
        });
      }
      const targets = req.visibilityQuery
        ? listRuns(engine, ns, req.visibilityQuery).map((r) => ({ workflowId: r.workflowId, runId: r.runId }))
        : given!;
      const job: BatchJob = {
        namespace: ns, jobId: req.jobId, operationType: type, reason: req.reason, identity, query: req.visibilityQuery ?? '',
        executions: given ?? [], state: 'BATCH_OPERATION_STATE_RUNNING', startTime: engine.clock.now(), targets, next: 0, completed: 0, failed: 0,
      };
      jobs.set(key(ns, job.jobId), job);
      const rps = Math.min(Number(req.maxOperationsPerSecond) > 0 ? Number(req.maxOperationsPerSecond) : SERVER_RPS, SERVER_RPS);
      let allowance = 0;
      const tick = () => {
        allowance += (rps * TICK_MS) / 1000;
        while (allowance >= 1 && job.next < job.targets.length) {
          allowance--;
          const target = job.targets[job.next++]!;
          try {
            apply(engine.findRun(ns, target));
            job.completed++;
          } catch {
            job.failed++;
          }
        }
        if (job.next >= job.targets.length) finish(job, 'BATCH_OPERATION_STATE_COMPLETED');
        else job.timer = setTimeout(tick, TICK_MS).unref();
      };
      job.timer = setTimeout(tick, 0).unref();
      return {};
    },

    DescribeBatchOperation: (req) => {
      const job = find(req);
      return {
        operationType: job.operationType,
        jobId: job.jobId,
        state: job.state,
        startTime: ts(job.startTime),
        closeTime: job.closeTime !== undefined ? ts(job.closeTime) : undefined,
        totalOperationCount: job.targets.length,
        completeOperationCount: job.completed,
        failureOperationCount: job.failed,
        identity: job.identity,
        reason: job.reason,
        query: job.query,
        executions: job.executions,
      };
    },

    StopBatchOperation: (req) => {
      const job = find(req);
      if (!req.reason) throw invalidArgument('Reason is not set on request.');
      if (job.state !== 'BATCH_OPERATION_STATE_RUNNING') throw notFound('workflow execution already completed');
      finish(job, 'BATCH_OPERATION_STATE_FAILED');
      return {};
    },

    ListBatchOperations: (req) => {
      const ns = engine.namespace(req.namespace).name;
      const all = [...jobs.values()].filter((j) => j.namespace === ns).sort((a, b) => b.startTime - a.startTime);
      const { page, nextPageToken } = pageOf(all, req.pageSize, req.nextPageToken);
      return {
        operationInfo: page.map((j) => ({ jobId: j.jobId, state: j.state, startTime: ts(j.startTime), closeTime: j.closeTime !== undefined ? ts(j.closeTime) : undefined })),
        nextPageToken,
      };
    },
  };
}
