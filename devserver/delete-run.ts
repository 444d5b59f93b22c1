// DeleteWorkflowExecution as the real server does it: a running execution is terminated first
// (reason "Delete workflow execution", identity "history-service"), then the run is gone
// (describe, history and List no longer find it). Deleting the current run of a workflow id
// leaves that id without a current run: older runs stay reachable by run id, a call that names
// only the workflow id is NOT_FOUND, and the next start is not held to the reuse policy.
import type { Engine } from './engine.js';
import type { Msg } from './proto.js';
import type { Run } from './types.js';

export const DELETE_REASON = 'Delete workflow execution';
export const DELETE_IDENTITY = 'history-service';

export function deleteWorkflowExecution(engine: Engine, req: Msg): Msg {
  const ns = engine.namespace(req.namespace).name;
  deleteExecution(engine, engine.findRun(ns, req.workflowExecution));
  return {};
}

/** Terminates `run` if it is open, then removes it. */
export function deleteExecution(engine: Engine, run: Run): void {
  if (engine.isOpen(run)) engine.terminate(run, DELETE_REASON, undefined, DELETE_IDENTITY);
  const key = `${run.namespace}/${run.workflowId}`;
  const runs = engine.executions.get(key) ?? [];
  const i = runs.indexOf(run);
  if (i < 0) return;
  const wasCurrent = i === runs.length - 1 && !run.notCurrent;
  runs.splice(i, 1);
  if (runs.length === 0) engine.executions.delete(key);
  else if (wasCurrent) {
    const previous = runs[runs.length - 1]!;
    previous.notCurrent = true;
    engine.changed(previous);
  }
  engine.runsById.delete(run.runId);
  engine.runsById.maybeOpen.delete(run);
  engine.onRunDeleted(run);
  engine.changed();
}
