// The workflows the server benchmark runs: one activity, as in the issue; and one whose history
// is padded before timed workflow tasks, to show the per-poll cost does not grow with history.
import { condition, defineSignal, proxyActivities, setHandler, sleep, upsertMemo } from '@temporalio/workflow';

const { echo } = proxyActivities<{ echo(x: number): Promise<number> }>({ startToCloseTimeout: '30s' });

export async function oneActivity(x: number): Promise<number> {
  return await echo(x);
}

export const goSignal = defineSignal('go');

/**
 * Writes `pad` events (memo upserts in one workflow task), waits for the `go` signal, then runs
 * `tasks` workflow tasks one after the other (a 1 ms timer each).
 */
export async function paddedHistory(pad: number, tasks: number): Promise<number> {
  let go = false;
  setHandler(goSignal, () => {
    go = true;
  });
  for (let i = 0; i < pad; i++) upsertMemo({ pad: i });
  await condition(() => go);
  for (let i = 0; i < tasks; i++) await sleep(1);
  return tasks;
}
