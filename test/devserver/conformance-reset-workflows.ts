// Workflows of the reset conformance test (reset.test.ts).
import { condition, continueAsNew, defineSignal, defineUpdate, executeChild, proxyActivities, setHandler, sleep, startChild, workflowInfo } from '@temporalio/workflow';
import type { resetActivities } from './conformance-reset-activities.js';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '10 seconds' });
const { answerOutsideRun } = proxyActivities<ReturnType<typeof resetActivities>>({ startToCloseTimeout: '5 minutes', heartbeatTimeout: '2 seconds' });

export const resetNameSignal = defineSignal<[string]>('resetName');
export const resetGoSignal = defineSignal('resetGo');
export const resetAddUpdate = defineUpdate<number, [number]>('resetAdd');

/** Waits for a name, greets it through an activity and returns the greeting. */
export async function resetGreeter(): Promise<string> {
  const names: string[] = [];
  setHandler(resetNameSignal, (name) => void names.push(name));
  await condition(() => names.length > 0);
  return await greet(names[0]!);
}

/** Schedules an activity that cannot complete in this run, then waits for a go signal and for the activity. */
export async function resetPendingActivity(): Promise<string> {
  let go = false;
  setHandler(resetGoSignal, () => void (go = true));
  const answer = answerOutsideRun(workflowInfo().runId);
  await condition(() => go);
  return await answer;
}

/** Starts a one-hour timer, waits for a go signal, then for the timer. */
export async function resetTimer(): Promise<string> {
  let go = false;
  setHandler(resetGoSignal, () => void (go = true));
  const timer = sleep('1 hour');
  await condition(() => go);
  await timer;
  return 'timer fired';
}

/** Sums what updates add until a go signal; returns the total. */
export async function resetAdder(): Promise<number> {
  let total = 0;
  let go = false;
  setHandler(resetAddUpdate, (n) => (total += n));
  setHandler(resetGoSignal, () => void (go = true));
  await condition(() => go);
  return total;
}

/** Round 0 continues as new after its first name unless it already has two; returns the names. */
export async function resetContinuing(round: number): Promise<string[]> {
  const names: string[] = [];
  setHandler(resetNameSignal, (name) => void names.push(name));
  await condition(() => names.length > 0);
  if (round === 0 && names.length === 1) await continueAsNew<typeof resetContinuing>(1);
  return names;
}

/** A child that waits for a go signal. */
export async function resetChild(): Promise<string> {
  let go = false;
  setHandler(resetGoSignal, () => void (go = true));
  await condition(() => go);
  return 'child done';
}

/** Waits for a go signal, starts a child, then waits for it. */
export async function resetParent(): Promise<string> {
  let go = false;
  setHandler(resetGoSignal, () => void (go = true));
  await condition(() => go);
  const child = await startChild(resetChild, { workflowId: `${workflowInfo().workflowId}-child` });
  return await child.result();
}

/** Runs resetChild and returns its result. */
export async function resetChildOfParent(): Promise<string> {
  return await executeChild(resetChild, { workflowId: `${workflowInfo().workflowId}-child` });
}
