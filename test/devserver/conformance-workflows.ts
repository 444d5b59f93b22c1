// Workflows that exercise each feature of the embedded server through the real SDK.
import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  getExternalWorkflowHandle,
} from '@temporalio/workflow';

export interface ConformanceActivities {
  greet(name: string): Promise<string>;
  flaky(failTimes: number): Promise<number>;
  failWith(kind: 'non-retryable' | 'typed' | 'always' | 'delay'): Promise<string>;
  resumable(total: number): Promise<number[]>;
  stall(ms: number): Promise<string>;
  waitForCancel(): Promise<string>;
  hang(): Promise<string>;
  completeLater(): Promise<string>;
}

const quick = proxyActivities<ConformanceActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

export async function greeting(name: string): Promise<string> {
  return await quick.greet(name);
}

export async function sleeper(ms: number): Promise<{ started: number; ended: number }> {
  const started = Date.now();
  await sleep(ms);
  return { started, ended: Date.now() };
}

export async function retrying(failTimes: number): Promise<number> {
  return await quick.flaky(failTimes);
}

export async function failing(kind: 'non-retryable' | 'typed' | 'always' | 'delay'): Promise<{ result: string; elapsedMs: number }> {
  const started = Date.now();
  const acts = proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: ['BadInput'] },
  });
  const result = await acts.failWith(kind);
  return { result, elapsedMs: Date.now() - started };
}

export async function heartbeating(total: number): Promise<number[]> {
  const acts = proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '30s',
    heartbeatTimeout: '5s',
    retry: { initialInterval: '1s', maximumAttempts: 3 },
  });
  return await acts.resumable(total);
}

export async function timingOut(kind: 'heartbeat' | 'start-to-close' | 'schedule-to-start' | 'schedule-to-close'): Promise<string> {
  const base = { retry: { maximumAttempts: 1 } } as const;
  const options =
    kind === 'heartbeat'
      ? { ...base, startToCloseTimeout: '20s', heartbeatTimeout: '1s' }
      : kind === 'start-to-close'
        ? { ...base, startToCloseTimeout: '1s' }
        : kind === 'schedule-to-start'
          ? { ...base, startToCloseTimeout: '20s', scheduleToStartTimeout: '1s', taskQueue: 'nobody-polls-this' }
          : { scheduleToCloseTimeout: '2s', retry: { initialInterval: '500ms' } };
  const acts = proxyActivities<ConformanceActivities>(options);
  return await acts.stall(kind === 'schedule-to-close' ? 5000 : 3000);
}

export async function cancelActivity(): Promise<string> {
  const acts = proxyActivities<ConformanceActivities>({ startToCloseTimeout: '60s', heartbeatTimeout: '2s' });
  try {
    await CancellationScope.cancellable(async () => {
      const p = acts.waitForCancel();
      await sleep(1000);
      CancellationScope.current().cancel();
      await p;
    });
    return 'not cancelled';
  } catch (err) {
    return isCancellation(err) ? 'cancelled' : `unexpected: ${String(err)}`;
  }
}

export const incrementSignal = defineSignal<[number]>('increment');
export const doneSignal = defineSignal('done');
export const countQuery = defineQuery<number>('count');
export const addUpdate = defineUpdate<number, [number]>('add');

export async function counter(start = 0): Promise<number> {
  let count = start;
  let done = false;
  setHandler(incrementSignal, (n) => void (count += n));
  setHandler(doneSignal, () => void (done = true));
  setHandler(countQuery, () => count);
  setHandler(
    addUpdate,
    async (n) => {
      await sleep(10);
      count += n;
      return count;
    },
    {
      validator: (n) => {
        if (n < 0) throw new Error(`cannot add a negative number (${n})`);
      },
    },
  );
  await condition(() => done);
  return count;
}

export async function raceTimer(): Promise<string> {
  let poked = false;
  setHandler(doneSignal, () => void (poked = true));
  const fired = await condition(() => poked, '1 day');
  return fired ? 'signal won' : 'timer won';
}

export async function waitForever(): Promise<void> {
  await condition(() => false);
}

export async function child(value: string): Promise<string> {
  if (value === 'fail') throw ApplicationFailure.nonRetryable('child failed on purpose', 'ChildBoom');
  await sleep(100);
  return `child got ${value}`;
}

export async function parent(value: string): Promise<string> {
  const result = await executeChild(child, { args: [value], workflowId: `${workflowInfo().workflowId}-child` });
  return `parent saw: ${result}`;
}

export async function parentLeavingChild(policy: 'terminate' | 'abandon' | 'request-cancel'): Promise<string> {
  const handle = await startChild(waitForever, {
    workflowId: `${workflowInfo().workflowId}-child`,
    parentClosePolicy:
      policy === 'terminate'
        ? ParentClosePolicy.TERMINATE
        : policy === 'abandon'
          ? ParentClosePolicy.ABANDON
          : ParentClosePolicy.REQUEST_CANCEL,
  });
  return handle.workflowId;
}

export async function parentCancellingChild(): Promise<string> {
  try {
    await CancellationScope.cancellable(async () => {
      const handle = await startChild(waitForever, { workflowId: `${workflowInfo().workflowId}-child` });
      await sleep(1000);
      CancellationScope.current().cancel();
      await handle.result();
    });
    return 'child finished';
  } catch (err) {
    return isCancellation(err) ? 'child cancelled' : `unexpected: ${String(err)}`;
  }
}

export async function signaller(targetId: string): Promise<string> {
  await getExternalWorkflowHandle(targetId).signal(incrementSignal, 5);
  await getExternalWorkflowHandle(targetId).signal(doneSignal);
  return 'signalled';
}

export async function looping(remaining: number, total = 0): Promise<{ total: number; runs: number }> {
  if (remaining > 0) {
    await sleep(1000);
    await continueAsNew<typeof looping>(remaining - 1, total + remaining);
  }
  return { total, runs: workflowInfo().continuedFromExecutionRunId ? -1 : 0 };
}

export async function patchedAndMarked(): Promise<string> {
  const local = proxyLocalActivities<ConformanceActivities>({ startToCloseTimeout: '10s' });
  const greeting = await local.greet('local');
  return patched('stratus-conformance-patch') ? `patched ${greeting}` : `old ${greeting}`;
}

export async function searchable(value: string): Promise<void> {
  upsertSearchAttributes({ CustomKeywordField: [value], CustomIntField: [value.length] });
  await condition(() => false);
}

export async function brokenTask(): Promise<void> {
  throw new TypeError('a bug in workflow code, not a business failure');
}

export async function businessFailure(): Promise<void> {
  throw ApplicationFailure.nonRetryable('the release is blocked', 'ReleaseBlocked', { repo: 'atmosphere' });
}

export async function waitsOnHangingActivity(): Promise<string> {
  const acts = proxyActivities<ConformanceActivities>({ startToCloseTimeout: '3s', retry: { initialInterval: '100ms', maximumAttempts: 5 } });
  return await acts.hang();
}

import { createNexusServiceClient } from '@temporalio/workflow';
import * as nexus from 'nexus-rpc';

const unsupportedService = nexus.service('unsupported', { op: nexus.operation<string, string>() });

export async function usesNexus(): Promise<string> {
  const client = createNexusServiceClient({ endpoint: 'nowhere', service: unsupportedService });
  return await client.executeOperation('op', 'x');
}

export async function historyInfo(): Promise<Array<{ length: number; size: number; suggested: boolean }>> {
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const info = workflowInfo();
    seen.push({ length: info.historyLength, size: info.historySize, suggested: info.continueAsNewSuggested });
    await sleep(1000);
  }
  return seen;
}

export async function signalMissing(): Promise<string> {
  try {
    await getExternalWorkflowHandle('does-not-exist').signal(doneSignal);
    return 'signalled';
  } catch (err) {
    return `failed: ${(err as Error).name}: ${(err as Error).message}`;
  }
}
export * from './conformance-extra.js';
export * from './conformance-priority-workflows.js';
export * from './conformance-eager-workflows.js';
export * from './conformance-timeskip-workflows.js';
export * from './conformance-reset-workflows.js';
export * from './conformance-control-workflows.js';
export * from './conformance-persist-workflows.js';
export * from './conformance-options-workflows.js';
