import { resolve } from 'node:path';
import { type TaskQueue } from '../config/task-queues.js';
import { type TemporalTargetSummary, type WorkflowBundle } from '../workers/index.js';
import { type CliIo } from './output.js';

/**
 * STRATUS_WORKFLOW_BUNDLE=<file> names a prebuilt workflow bundle (made by
 * `bundleWorkflowCode` at image-build or CI time) so start-up skips webpack.
 */
export async function loadBundleFromEnv(io: CliIo): Promise<WorkflowBundle | undefined> {
  const file = io.env.STRATUS_WORKFLOW_BUNDLE;
  if (file === undefined || file === '') return undefined;
  const { readWorkflowBundle } = await import('../workers/index.js');
  return readWorkflowBundle(resolve(io.cwd, file));
}

/** "Worker polling stratus-release, … on 127.0.0.1:7233 (namespace default)". */
export function readyMessage(info: { target: TemporalTargetSummary; taskQueues: readonly TaskQueue[] }): string {
  const t = info.target;
  const extras = [t.tls ? 'TLS' : '', t.apiKey ? 'API key' : ''].filter(Boolean).join(', ');
  return (
    `Worker polling ${info.taskQueues.join(', ')} on ${t.address} (namespace ${t.namespace}` +
    `${extras ? `, ${extras}` : ''}). Ctrl-C to stop.`
  );
}
