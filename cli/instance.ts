// `stratus instance deploy <serverId>`: run the configured playbook on a server (deployInstance,
// id deploy-<serverId>); a running deployment of the same server is asked to redeploy.
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { type Command } from 'commander';
import { deployInput } from '../config/lifecycle-settings.js';
import { type DeployState } from '../workflows/deploy-instance.js';
import { LIFECYCLE_TASK_QUEUE } from '../workflows/lifecycle-sweep-types.js';
import { clientIdentity, outputFor } from './context.js';
import { lifecycleConfig, reason, withClient } from './lifecycle-client.js';
import { CliError, EXIT_USAGE, type CliIo } from './output.js';

const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

export function registerInstanceCommands(program: Command, io: CliIo): void {
  const instance = program.command('instance').description('new instances: configure them with the deploy playbook');
  instance
    .command('deploy')
    .description('wait for the server to be ACTIVE and reachable over SSH, run lifecycle.deploy.playbook, record the result')
    .argument('<serverId>', 'Nova server id')
    .option('--wait', 'wait for the deployment to finish and print its result')
    .action(async (serverId: string, opts: { wait?: boolean }, command: Command) => {
      if (!SERVER_ID.test(serverId)) throw new CliError(`serverId: ${JSON.stringify(serverId)} is not a Nova server id`, EXIT_USAGE);
      const { loaded, lifecycle } = lifecycleConfig(command, io);
      const input = deployInput(lifecycle, serverId);
      if (!input) throw new CliError(`lifecycle.deploy: is not configured in ${loaded.file} (playbook, user, extraVars …)`, EXIT_USAGE);
      const out = outputFor(command, io);
      const workflowId = `deploy-${serverId}`;
      const state = await withClient(loaded, io, clientIdentity(command, io), async (client) => {
        const handle = client.workflow.getHandle(workflowId);
        let deploy = 1;
        const running = await handle.describe().then((d) => d.status.name === 'RUNNING', () => false);
        if (running) {
          try {
            ({ deploy } = await handle.executeUpdate('redeploy') as { deploy: number });
          } catch (error) {
            throw new CliError(reason(error));
          }
        } else {
          await client.workflow.start('deployInstance', {
            workflowId, taskQueue: LIFECYCLE_TASK_QUEUE, args: [input], workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          });
        }
        if (!opts.wait) return { deploy };
        for (;;) {
          const s = await handle.query<DeployState>('status');
          if (s.phase === 'idle' && s.deploys.length >= deploy) return { deploy, state: s };
          await new Promise((r) => setTimeout(r, 500));
        }
      });
      if (!state.state) {
        out.result({ workflowId, serverId, deploy: state.deploy }, `deploying ${serverId} (run ${state.deploy}, workflow ${workflowId})`);
        return;
      }
      const last = state.state.last!;
      out.result({ workflowId, serverId, ...last }, `${serverId}: deploy ${last.deploy} ${last.status}${last.recap ? ` (${last.recap})` : ''}${last.failures.length ? `\n  ${last.failures.join('\n  ')}` : ''}`);
      if (last.status === 'failed') throw new CliError(`deploy ${last.deploy} of ${serverId} failed`);
    });
}
