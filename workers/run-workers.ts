import { type NativeConnection, Worker } from '@temporalio/worker';
import { type ActivityDeps, createActivities } from '../activities/index.js';
import { type StratusConfig } from '../config/schema.js';
import { type TaskQueue } from '../config/task-queues.js';
import { buildActivityDeps } from './activity-deps.js';
import { TemporalSettingsError } from './temporal-connection.js';
import { bundleWorkflows, type WorkflowBundle } from './workflow-bundle.js';

/** Input of {@link runWorkers}. */
export interface RunWorkersOptions {
  /** An open worker connection; the caller closes it after `runWorkers` resolves. */
  connection: NativeConnection;
  namespace: string;
  config: StratusConfig;
  /** Prebuilt workflow code; bundled once from workflows/index.ts when absent. */
  workflowBundle?: WorkflowBundle;
  /** Adapters for the activities; built from `config` when absent. */
  activityDeps?: ActivityDeps;
  /** Directory relative config paths are resolved against (the config file's); default cwd. */
  baseDir?: string;
  /** Abort to shut every worker down gracefully; `runWorkers` then resolves. */
  signal?: AbortSignal;
  /** Called once every worker has been created and is about to poll. */
  onReady?: (taskQueues: readonly TaskQueue[]) => void;
}

/**
 * Runs one Worker per configured task queue (all sharing one workflow bundle and one set of
 * activities) until `signal` aborts or a worker fails; a failure stops the others and is
 * rethrown.
 */
export async function runWorkers(options: RunWorkersOptions): Promise<void> {
  const { connection, namespace, config, signal } = options;
  const taskQueues = config.worker.taskQueues;
  const workflowBundle = options.workflowBundle ?? (await bundleWorkflows());
  const deps = options.activityDeps ?? buildActivityDeps({ config, baseDir: options.baseDir ?? process.cwd() });
  const activities = createActivities(deps);

  const created = await Promise.allSettled(
    taskQueues.map((taskQueue) => Worker.create({ connection, namespace, taskQueue, workflowBundle, activities })),
  );
  const workers = created.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const createFailure = created.find((r): r is PromiseRejectedResult => r.status === 'rejected');

  // A created worker holds the connection until it has run and shut down, so even when we
  // stop before polling (abort, or a sibling failed to start) each one is run and stopped.
  const stop = new AbortController();
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  const onAbort = () => stop.abort();
  if (signal?.aborted || createFailure) stop.abort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  let failure: unknown = createFailure && explainCreateFailure(createFailure.reason, namespace);
  if (!stop.signal.aborted) options.onReady?.(taskQueues);
  try {
    await Promise.all(
      workers.map((worker) =>
        worker.runUntil(stopped).catch((error: unknown) => {
          failure ??= error;
          stop.abort();
        }),
      ),
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure;
}

/** Turns the core's "Namespace X was not found …: Status { … }" into an actionable message. */
function explainCreateFailure(error: unknown, namespace: string): unknown {
  if (error instanceof Error && /^Namespace .* was not found/.test(error.message)) {
    return new TemporalSettingsError(
      `Temporal namespace "${namespace}" does not exist on this server: create it, or set TEMPORAL_NAMESPACE / temporal.namespace`,
    );
  }
  return error;
}
