import { type Command } from 'commander';
import { type CliIo } from './output.js';
import { loadCommandConfig, outputFor } from './context.js';
import { shutdownSignal } from './signals.js';
import { loadBundleFromEnv, logLevelFromEnv, readyMessage } from './worker-common.js';

/** `stratus worker`: run the workers against an existing Temporal (address from the environment). */
export function registerWorkerCommand(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description(
      'run workers for the configured task queues against the Temporal server named by ' +
        'TEMPORAL_ADDRESS / a Temporal CLI profile / temporal.address',
    )
    .action(async (_opts: unknown, command: Command) => {
      const loaded = loadCommandConfig(command, io);
      const out = outputFor(command, io);
      const logLevel = logLevelFromEnv(io);
      const { requireAddress, resolveTemporalTarget, runWorkerProcess } = await import('../workers/index.js');
      const target = resolveTemporalTarget(loaded.config, io.env);
      requireAddress(target);
      const signal = shutdownSignal();
      await runWorkerProcess({
        loaded,
        target,
        signal,
        workflowBundle: await loadBundleFromEnv(io),
        logLevel,
        onReady: (info) => out.event('ready', { temporal: info.target, taskQueues: info.taskQueues }, readyMessage(info)),
      });
      out.event('stopped', {}, 'stopped');
    });
}
