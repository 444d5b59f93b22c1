// Workflows of the priority conformance test (priority.test.ts).
import type { Priority } from '@temporalio/common';
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';

/** The child's own view of its priority. */
export async function priorityOfChild(): Promise<Priority | undefined> {
  return workflowInfo().priority;
}

/** What the workflow, one of its activities and one child see as their priority. */
export async function priorityReport(own?: { activity?: Priority; child?: Priority }): Promise<{ workflow?: Priority; activity?: Priority; child?: Priority }> {
  const acts = proxyActivities<{ ownPriority(): Promise<Priority | undefined> }>({ startToCloseTimeout: '10s', priority: own?.activity });
  const activity = await acts.ownPriority();
  const child = await executeChild(priorityOfChild, { workflowId: `${workflowInfo().workflowId}-child`, priority: own?.child });
  return { workflow: workflowInfo().priority, activity, child };
}
