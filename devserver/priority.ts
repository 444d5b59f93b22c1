// Priority (temporal.api.common.v1.Priority: priorityKey, fairnessKey, fairnessWeight). As the real
// server does, activities and child workflows that set none of a field inherit it from the
// workflow that schedules them; what they set themselves wins, field by field.
import type { Msg } from './proto.js';
import type { Run } from './types.js';

/** The priority the run was started with (from its WorkflowExecutionStarted event). */
export function runPriority(run: Run): Msg | undefined {
  return run.history[0]?.workflowExecutionStartedEventAttributes?.priority as Msg | undefined;
}

/** `own` over `inherited`, field by field; undefined when neither sets anything. */
export function mergePriority(own: Msg | undefined, inherited: Msg | undefined): Msg | undefined {
  const out: Msg = {};
  for (const key of ['priorityKey', 'fairnessKey', 'fairnessWeight'] as const) {
    const mine = own?.[key];
    const theirs = inherited?.[key];
    if (mine) out[key] = mine;
    else if (theirs) out[key] = theirs;
  }
  return Object.keys(out).length ? out : undefined;
}
