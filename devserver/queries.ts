// Queries: legacy query tasks handed out on the workflow task queue when no workflow task is
// outstanding, re-sent when a worker takes one and dies, failed at a deadline nobody answers.
import { randomUUID } from 'node:crypto';
import type { Engine } from './engine.js';
import { GrpcError, type Msg, invalidArgument, notFound, ts } from './proto.js';
import { type TokenData, encodeToken } from './tokens.js';
import type { QueryState, Run } from './types.js';

/** a query task a worker took but did not answer goes out again after this long */
const QUERY_TASK_TIMEOUT_MS = 5_000;
/** a query nobody answers fails after this long (DEADLINE_EXCEEDED) */
const QUERY_DEADLINE_MS = 30_000;

export function query(engine: Engine, run: Run, q0: Msg): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const q: QueryState = { id: randomUUID(), query: q0, resolve, reject, done: false };
    // no worker answering at all: fail like the real server does at its deadline
    const deadline = setTimeout(
      () => abandonQuery(engine, run, q, new GrpcError(4, `query ${q0.queryType} timed out: no worker answered within ${QUERY_DEADLINE_MS / 1000} s`)),
      QUERY_DEADLINE_MS,
    );
    q.resolve = (r) => {
      clearTimeout(deadline);
      resolve(r);
    };
    q.reject = (e) => {
      clearTimeout(deadline);
      reject(e);
    };
    run.pendingQueries.push(q);
    dispatchQueries(engine, run);
  });
}

/** Queries go out as legacy query tasks when no workflow task is outstanding. */
export function dispatchQueries(engine: Engine, run: Run): void {
  if (run.wft) return;
  for (const q of run.pendingQueries.splice(0)) enqueueQueryTask(engine, run, q);
}

/** A query task taken by a worker that never answers (it died) is handed out again. */
function enqueueQueryTask(engine: Engine, run: Run, q: QueryState): void {
  engine.queryTasks.set(q.id, { run, q });
  const nonce = engine.nextNonce();
  q.nonce = nonce;
  engine.workflowQueues.add(run.taskQueue, {
    valid: () => !q.done && q.nonce === nonce,
    start: () => {
      if (q.done || q.nonce !== nonce) return undefined;
      const retry = setTimeout(() => {
        if (!q.done && q.nonce === nonce) enqueueQueryTask(engine, run, q);
      }, QUERY_TASK_TIMEOUT_MS);
      retry.unref?.();
      return {
        taskToken: encodeToken({ k: 'q', ns: run.namespace, wid: run.workflowId, rid: run.runId, n: nonce, q: q.id }),
        workflowExecution: { workflowId: run.workflowId, runId: run.runId },
        workflowType: { name: run.workflowType },
        previousStartedEventId: run.lastCompletedStartedEventId,
        startedEventId: 0,
        attempt: 1,
        // empty: a worker with the run cached answers from cache, others fetch the history
        history: { events: [] },
        query: q.query,
        workflowExecutionTaskQueue: { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
        scheduledTime: ts(engine.clock.now()),
        startedTime: ts(engine.clock.now()),
      };
    },
  });
}

export function answerQuery(engine: Engine, token: TokenData, req: Msg): void {
  const entry = token.q ? engine.queryTasks.get(token.q) : undefined;
  if (!entry || entry.q.done) throw notFound('Query task not found.');
  engine.queryTasks.delete(token.q!);
  entry.q.done = true;
  if (req.completedType === 'QUERY_RESULT_TYPE_ANSWERED') entry.q.resolve(req.queryResult ?? {});
  else entry.q.reject(invalidArgument(req.errorMessage || 'query failed'));
}

/** A query only ever waits on the run it was made for: no scan over every run. */
function abandonQuery(engine: Engine, run: Run, q: QueryState, err: Error): void {
  engine.queryTasks.delete(q.id);
  const i = run.pendingQueries.indexOf(q);
  if (i >= 0) run.pendingQueries.splice(i, 1);
  if (!q.done) {
    q.done = true;
    q.reject(err);
  }
}
