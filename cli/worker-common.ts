import { resolve } from 'node:path';
import { type LogLevel } from '@temporalio/worker';
import { type TaskQueue } from '../config/task-queues.js';
import { type TemporalTargetSummary, type WorkflowBundle } from '../workers/index.js';
import { CliError, type CliIo, EXIT_USAGE } from './output.js';

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

const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** STRATUS_LOG_LEVEL (TRACE, DEBUG, INFO, WARN, ERROR; default WARN) for the Temporal SDK's logs on stderr. */
export function logLevelFromEnv(io: CliIo): LogLevel {
  const value = (io.env.STRATUS_LOG_LEVEL ?? '').toUpperCase();
  if (value === '') return 'WARN';
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new CliError(`STRATUS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`, EXIT_USAGE);
}
