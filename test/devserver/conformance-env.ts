// One set-up for conformance test files: an embedded-server test env with a worker running the
// conformance workflows and activities on the file's own task queue, torn down after the file.
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { createTestEnv, type TestEnv } from '../support/temporal.js';
import { conformanceActivities } from './conformance-activities.js';

/** The env of the current test file (valid inside tests) and unique workflow ids. */
export interface ConformanceEnv {
  readonly t: TestEnv;
  id(name: string): string;
}

/**
 * Registers beforeAll/afterAll that start and stop a conformance worker on `taskQueue`; `extra`
 * adds a test file's own activities and worker options.
 */
export function useConformanceWorker(taskQueue: string, extra: Partial<WorkerOptions> = {}): ConformanceEnv {
  let t: TestEnv | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let n = 0;
  beforeAll(async () => {
    t = await createTestEnv();
    const { attemptsOf: _a, asyncInfo: _i, ...activities } = conformanceActivities();
    worker = await t.worker({ ...extra, taskQueue, activities: { ...activities, ...extra.activities } });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await t?.teardown();
  });
  return {
    get t(): TestEnv {
      if (!t) throw new Error('the conformance env is set up in beforeAll: use it inside tests');
      return t;
    },
    id: (name: string) => `${name}-${++n}`,
  };
}
