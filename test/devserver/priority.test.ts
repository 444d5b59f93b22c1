// Conformance: a workflow's priority as the start request gave it is in its history.
import { useConformanceWorker } from './conformance-env.js';

const taskQueue = 'conformance-priority';
const conformance = useConformanceWorker(taskQueue);
const { id } = conformance;

test('the priority given at start is in the WorkflowExecutionStarted event', async () => {
  const handle = await conformance.t.env.client.workflow.start('greeting', {
    taskQueue, workflowId: id('prio'), args: ['p'], priority: { priorityKey: 2, fairnessKey: 'tenant-a', fairnessWeight: 1.5 },
  });
  await handle.result();
  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  expect(started?.priority?.priorityKey).toBe(2);
  expect(started?.priority?.fairnessKey).toBe('tenant-a');
  expect(started?.priority?.fairnessWeight).toBeCloseTo(1.5);
});
