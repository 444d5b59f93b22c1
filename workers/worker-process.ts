import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';
import { type LoadedConfig } from '../config/load.js';
import { type TaskQueue } from '../config/task-queues.js';
import { runWorkers } from './run-workers.js';
import { startConfiguredImageStreams } from './image-streams.js';
import { startConfiguredLifecycle } from './lifecycle.js';
import { connectWorker, summarizeTarget, type TemporalTarget, type TemporalTargetSummary } from './temporal-connection.js';
import { type WorkflowBundle } from './workflow-bundle.js';

/** Input of {@link runWorkerProcess}. */
export interface WorkerProcessOptions {
  loaded: LoadedConfig;
  /** Where to connect; must have an address. */
  target: TemporalTarget;
  /** Abort (e.g. on SIGTERM) for a graceful shutdown. */
  signal: AbortSignal;
  workflowBundle?: WorkflowBundle;
  /** SDK log level (to stderr); default WARN so `stratus dev` stays quiet. */
  logLevel?: LogLevel;
  /** Called once the workers are polling; the summary holds no secrets. */
  onReady?: (info: { target: TemporalTargetSummary; taskQueues: readonly TaskQueue[] }) => void;
}

let runtimeInstalled = false;

/**
 * Installs the Temporal runtime with stratus in charge of signals (the CLI shuts the embedded
 * server down after the workers). Call before the first NativeConnection; later calls are no-ops.
 */
export function installRuntime(logLevel: LogLevel = 'WARN'): void {
  if (runtimeInstalled) return;
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger(logLevel) });
  runtimeInstalled = true;
}

/** Connects, runs the configured workers until `signal` aborts, then closes the connection. */
export async function runWorkerProcess(options: WorkerProcessOptions): Promise<void> {
  const { loaded, target, signal } = options;
  installRuntime(options.logLevel);
  const connection = await connectWorker(target);
  try {
    await startConfiguredImageStreams(target, loaded.config); // the configured image streams' entity workflows
    await startConfiguredLifecycle(target, loaded.config); // the `lifecycle` entity workflow
    await runWorkers({
      connection,
      namespace: target.namespace,
      config: loaded.config,
      baseDir: loaded.baseDir,
      workflowBundle: options.workflowBundle,
      signal,
      onReady: (taskQueues) => options.onReady?.({ target: summarizeTarget(target), taskQueues }),
    });
  } finally {
    await connection.close();
  }
}
