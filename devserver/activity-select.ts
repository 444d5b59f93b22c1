// Which pending activities an operator request names (PauseActivity, UnpauseActivity,
// ResetActivity, UpdateActivityOptions: by id, by type or all), and taking one off its queue.
import type { Engine } from './engine.js';
import { type Msg, invalidArgument, notFound } from './proto.js';
import type { ActivityState, Run } from './types.js';

/** The run and the pending activities a request names; `allField` is its select-all flag, if any. */
export function selected(engine: Engine, req: Msg, allField?: 'unpauseAll' | 'matchAll'): { run: Run; activities: ActivityState[] } {
  const namespace = engine.namespace(req.namespace).name;
  if (!req.execution) throw invalidArgument('Execution is not set on request.');
  if (!req.execution.workflowId) throw invalidArgument('WorkflowId is not set on request.');
  const all = allField !== undefined && req[allField] === true;
  if (!req.id && !req.type && !all) throw invalidArgument('Either Activity.Id or Activity.Type should be set on request.');
  const run = engine.findRun(namespace, req.execution);
  if (!engine.isOpen(run)) throw notFound('workflow execution already completed');
  const pending = [...run.activities.values()];
  const activities = all ? pending : pending.filter((a) => (req.id ? a.activityId === req.id : a.activityType === req.type));
  if (activities.length === 0) {
    const what = all ? 'any' : req.id ? `with ID "${req.id}"` : `of type "${req.type}"`;
    throw notFound(`activity not found: workflow "${run.workflowId}" has no pending activity ${what}`);
  }
  return { run, activities };
}

/** A queued or backing-off activity stops waiting: its queue entry and timers no longer count. */
export function withdraw(engine: Engine, a: ActivityState): void {
  for (const cancel of a.timers.splice(0)) cancel();
  a.state = 'backoff';
  a.nonce = engine.nextNonce();
}

