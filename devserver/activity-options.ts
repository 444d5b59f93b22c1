// UpdateActivityOptions, as the real server does it: an operator changes a pending activity's
// task queue, timeouts, retry policy or priority (fields named by `update_mask`, snake_case or
// camelCase), or puts back the options it was scheduled with (`restore_original`). The changed
// timeouts are filled in and checked as a ScheduleActivityTask command's would be. An activity
// waiting in a queue moves to its (new) queue; a running attempt keeps running, its timers
// re-armed from its start; the next attempt uses the new options. Activities are selected by id,
// by type or all (`match_all`).
import { selected, withdraw } from './activity-select.js';
import { type ActivityTimeouts, fillActivityTimeouts, fillRetryPolicy } from './activity-rules.js';
import { activityOptions, enqueueActivity, rearmTimers } from './activities.js';
import type { Engine } from './engine.js';
import { mergePriority, runPriority } from './priority.js';
import { type Msg, invalidArgument } from './proto.js';
import type { ActivityState, Run } from './types.js';

const camel = (path: string): string => path.split('.').map((p) => p.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())).join('.');

/** The request's options merged over `current`, field by field as the mask names them. */
function merge(current: Msg, from: Msg | undefined, paths: Set<string>): Msg {
  const into: Msg = { ...current, retryPolicy: { ...current.retryPolicy }, priority: current.priority ? { ...current.priority } : undefined };
  const need = (part: string, label: string): Msg => {
    if (!from?.[part]) throw invalidArgument(`${label} is not provided`);
    return from[part];
  };
  for (const path of paths) {
    switch (path) {
      case 'taskQueue.name':
        into.taskQueue = { name: need('taskQueue', 'TaskQueue').name, kind: 'TASK_QUEUE_KIND_NORMAL' };
        break;
      case 'scheduleToCloseTimeout':
      case 'scheduleToStartTimeout':
      case 'startToCloseTimeout':
      case 'heartbeatTimeout':
        into[path] = from?.[path];
        break;
      case 'retryPolicy':
        into.retryPolicy = from?.retryPolicy ?? {};
        break;
      case 'retryPolicy.initialInterval':
      case 'retryPolicy.backoffCoefficient':
      case 'retryPolicy.maximumInterval':
      case 'retryPolicy.maximumAttempts':
        into.retryPolicy[path.split('.')[1]!] = need('retryPolicy', 'RetryPolicy')[path.split('.')[1]!];
        break;
      case 'priority':
        into.priority = from?.priority;
        break;
      case 'priority.priorityKey':
      case 'priority.fairnessKey':
      case 'priority.fairnessWeight':
        into.priority = { ...into.priority, [path.split('.')[1]!]: need('priority', 'Priority')[path.split('.')[1]!] };
        break;
      default:
        throw invalidArgument(`update_mask: unknown activity option path "${path}"`);
    }
  }
  return into;
}

/** Puts options on the activity; what waits in a queue moves, a running attempt's timers follow. */
/** The options' timeouts filled in and checked as a ScheduleActivityTask command's; throws INVALID_ARGUMENT. */
function checked(run: Run, options: Msg): ActivityTimeouts {
  const timeouts = fillActivityTimeouts(options, run.runTimeoutMs);
  if (typeof timeouts === 'string') throw invalidArgument(timeouts);
  return timeouts;
}

function apply(engine: Engine, run: Run, a: ActivityState, options: Msg): Msg {
  Object.assign(a, checked(run, options));
  a.taskQueue = options.taskQueue?.name || a.taskQueue;
  a.retryPolicy = fillRetryPolicy(options.retryPolicy ?? a.retryPolicy);
  a.priority = options.priority;
  if (a.state === 'scheduled') {
    // off its old queue, onto its (new) one, with the new schedule-to-start and deadline
    a.deadlineTimer?.();
    a.deadlineTimer = undefined;
    withdraw(engine, a);
    enqueueActivity(engine, run, a);
  } else {
    // running: its timers follow the new timeouts; waiting for a retry: the retry timer stands
    rearmTimers(engine, run, a);
  }
  return activityOptions(a);
}

/** Puts back the options `a` was scheduled with (its ActivityTaskScheduled event); returns them. */
export function restoreOriginal(engine: Engine, run: Run, a: ActivityState): Msg {
  const scheduled = run.history[a.scheduledEventId - 1]?.activityTaskScheduledEventAttributes;
  if (!scheduled) throw invalidArgument('ActivityTaskScheduledEvent is invalid');
  // the priority as it was worked out at schedule time: its own over the workflow's, field by field
  return apply(engine, run, a, { ...scheduled, taskQueue: { name: scheduled.taskQueue?.name }, priority: mergePriority(scheduled.priority, runPriority(run)) });
}

export function updateActivityOptions(engine: Engine, req: Msg): Msg {
  const { run, activities } = selected(engine, req, 'matchAll');
  let result: Msg | undefined;
  if (req.restoreOriginal) {
    if (req.activityOptions || req.updateMask?.paths?.length) {
      throw invalidArgument('restore_original cannot be combined with activity_options or update_mask.');
    }
    for (const a of activities) result = restoreOriginal(engine, run, a);
  } else {
    if (!req.activityOptions) throw invalidArgument('ActivityOptions are not provided');
    if (!req.updateMask) throw invalidArgument('UpdateMask is not provided');
    const paths = new Set(((req.updateMask.paths ?? []) as string[]).map(camel));
    // every selected activity's new options are checked before any is changed
    const planned = activities.map((a) => ({ a, options: merge(activityOptions(a), req.activityOptions, paths) }));
    for (const { options } of planned) checked(run, options);
    for (const { a, options } of planned) result = apply(engine, run, a, options);
  }
  engine.changed(run); // no event records it
  return { activityOptions: result };
}
