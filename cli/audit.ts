// `stratus audit <workflowId> [--json]`: every decision on an entity workflow (release train,
// image stream, lifecycle and its sweeps) from its history across continue-as-new runs — who
// (the client identity), when, what with which arguments (secrets redacted), and the outcome.
import { Client } from '@temporalio/client';
import { type Command } from 'commander';
import { describeEntry } from '../dashboard/audit.js';
import { AUDIT_WORKFLOW_ID } from '../dashboard/audit-load.js';
import { clientIdentity, loadCommandConfig, outputFor } from './context.js';
import { clientTarget } from './dev-state.js';
import { CliError, type CliIo, EXIT_USAGE } from './output.js';

export function registerAuditCommand(program: Command, io: CliIo): void {
  program
    .command('audit')
    .description('who did what on a workflow: every update and signal, its arguments, who sent it, when, and the outcome')
    .argument('<workflowId>', 'e.g. release-v31, image-stream-atomic-host, lifecycle, lifecycle-sweep-20250301')
    .action(async (workflowId: string, _opts: unknown, command: Command) => {
      if (!AUDIT_WORKFLOW_ID.test(workflowId)) {
        throw new CliError(`workflowId: ${JSON.stringify(workflowId.slice(0, 80))} is not a workflow id such as release-v31, image-stream-demo or lifecycle`, EXIT_USAGE);
      }
      const loaded = loadCommandConfig(command, io, true);
      const out = outputFor(command, io);
      const { connectClient } = await import('../workers/temporal-connection.js');
      const { loadAudit } = await import('../dashboard/audit-load.js');
      const target = await clientTarget(loaded, io, true);
      const connection = await connectClient(target);
      try {
        const view = await loadAudit(new Client({ connection, namespace: target.namespace, identity: clientIdentity(command, io) }), workflowId).catch((error: unknown) => {
          if ((error as Error).name === 'WorkflowNotFoundError') throw new CliError(`there is no workflow ${workflowId}`);
          throw error;
        });
        const head = `${workflowId}: ${view.entries.length} decision${view.entries.length === 1 ? '' : 's'} in ${view.runs.length} run${view.runs.length === 1 ? '' : 's'}` +
          `${view.children.length ? ` and ${view.children.length} sweep${view.children.length === 1 ? '' : 's'}` : ''}${view.truncated ? ' (older ones left out)' : ''}`;
        out.result({ ok: true, ...view }, [head, ...view.entries.map((e) => `  ${describeEntry(e)}${e.workflowId !== workflowId ? `  [${e.workflowId}]` : ''}`)].join('\n'));
      } finally {
        await connection.close();
      }
    });
}
