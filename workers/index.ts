// workers/: the only place that loads config, builds adapters and calls Worker.create.
export { buildActivityDeps } from './activity-deps.js';
export { runWorkers, type RunWorkersOptions } from './run-workers.js';
export {
  connectClient,
  connectWorker,
  DEFAULT_NAMESPACE,
  requireAddress,
  resolveTemporalTarget,
  summarizeTarget,
  TemporalSettingsError,
  TemporalUnreachableError,
  type AddressSource,
  type TemporalTarget,
  type TemporalTargetSummary,
} from './temporal-connection.js';
export { bundleWorkflows, readWorkflowBundle, WORKFLOWS_PATH, type WorkflowBundle } from './workflow-bundle.js';
export { installRuntime, runWorkerProcess, type WorkerProcessOptions } from './worker-process.js';
