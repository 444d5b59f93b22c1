// `stratus lifecycle …`: plan (what would happen and why, no changes), sweep now, approve a sweep
// over its caps, exempt a resource, and read a sweep's report. All through Temporal: the plan runs
// as a `lifecycleSweep` in plan mode on the workers (which hold the cloud credentials).
import { type Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import { type Command, InvalidArgumentError } from 'commander';
import { lifecycleSettings } from '../config/lifecycle-settings.js';
import { type LifecycleConfig } from '../config/lifecycle.js';
import {
  FINAL_SWEEP_STATUSES, LIFECYCLE_TASK_QUEUE, LIFECYCLE_WORKFLOW_ID, type LifecycleMemory, type LifecycleStatus, type LifecycleSweepInput, type PlanLine, type RememberedExemption, type SweepReport,
} from '../workflows/lifecycle-sweep-types.js';
import { clientIdentity, outputFor } from './context.js';
import { lifecycleConfig, notFound, reason, withClient } from './lifecycle-client.js';
import { CliError, type CliIo } from './output.js';

const SWEEP_ID = /^lifecycle-(sweep|plan)-[0-9A-Za-z-]{1,64}$/;
const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$/;

/** `--at`: a date (start of the day, UTC) or an ISO time. */
export function parseAt(value: string): string {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t) || (/^\d{4}-\d{2}-\d{2}$/.test(value) && new Date(t).toISOString().slice(0, 10) !== value)) {
    throw new InvalidArgumentError(`must be a date YYYY-MM-DD or an ISO time, got ${JSON.stringify(value)}`);
  }
  return new Date(t).toISOString();
}

function parseDay(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError(`must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  return value;
}

function parseSweepId(value: string): string {
  if (!SWEEP_ID.test(value)) throw new InvalidArgumentError(`must be a sweep id such as lifecycle-sweep-20250301, got ${JSON.stringify(value)}`);
  return value;
}

/** Starts `lifecycle` if needed and hands it the current settings (idempotent). */
export async function ensureLifecycle(client: Client, cfg: LifecycleConfig): Promise<void> {
  const settings = lifecycleSettings(cfg);
  await client.workflow.signalWithStart('lifecycle', {
    workflowId: LIFECYCLE_WORKFLOW_ID, taskQueue: LIFECYCLE_TASK_QUEUE, args: [{ settings }], signal: 'configure', signalArgs: [settings],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** Runs a `lifecycleSweep` in plan mode (what would happen and why, nothing done) with what the lifecycle remembers. */
export async function runPlan(client: Client, cfg: LifecycleConfig, at?: string): Promise<SweepReport> {
  let memory: Pick<LifecycleMemory, 'noticesSent' | 'exemptions'> = { noticesSent: [], exemptions: [] };
  try {
    memory = await client.workflow.getHandle(LIFECYCLE_WORKFLOW_ID).query('memory');
  } catch {
    // no lifecycle workflow yet: nothing sent, nothing exempted
  }
  const sweepId = `lifecycle-plan-${Date.now()}`;
  const input: LifecycleSweepInput = {
    sweepId, mode: 'plan', settings: lifecycleSettings(cfg), noticesSent: memory.noticesSent,
    exemptions: memory.exemptions.map(({ id, reason: why, until }) => ({ id, reason: why, until })), ...(at ? { at } : {}),
  };
  return client.workflow.execute('lifecycleSweep', { taskQueue: LIFECYCLE_TASK_QUEUE, workflowId: sweepId, args: [input] }) as Promise<SweepReport>;
}

export function registerLifecycleCommands(program: Command, io: CliIo): void {
  const lifecycle = program.command('lifecycle').description('resource lifecycle on OpenStack: plan, sweep, approve, exempt, report');

  lifecycle
    .command('plan')
    .description('what the lifecycle would do and why, per resource (no changes, no emails)')
    .option('--at <date>', 'plan as of this date (YYYY-MM-DD) or ISO time instead of now', parseAt)
    .action(async (opts: { at?: string }, command: Command) => {
      const { loaded, lifecycle: cfg } = lifecycleConfig(command, io);
      const out = outputFor(command, io);
      const report = await withClient(loaded, io, clientIdentity(command, io), (client) => runPlan(client, cfg, opts.at));
      if (report.status === 'failed') throw new CliError(`the plan could not be made: ${report.error}`);
      const plan = report.plan ?? [];
      if (out.json) {
        io.stdout.write(`${JSON.stringify(plan)}\n`);
        for (const u of report.unseen ?? []) io.stderr.write(`warning: ${u}\n`);
      }
      else io.stdout.write(`${plainPlan(plan, report)}\n`);
    });

  lifecycle
    .command('sweep')
    .description('run a sweep now (dry-run unless lifecycle.enforce or --enforce)')
    .option('--enforce', 'act (shelve, delete, unfeature, send warnings) even when the config says dry-run')
    .option('--wait', 'wait for the sweep to finish (or to wait for approval) and print its report')
    .action(async (opts: { enforce?: boolean; wait?: boolean }, command: Command) => {
      const { loaded, lifecycle: cfg } = lifecycleConfig(command, io);
      const out = outputFor(command, io);
      await withClient(loaded, io, clientIdentity(command, io), async (client) => {
        await ensureLifecycle(client, cfg);
        let sweepId: string;
        try {
          ({ sweepId } = await client.workflow.getHandle(LIFECYCLE_WORKFLOW_ID).executeUpdate('sweepNow', { args: [opts.enforce ? { enforce: true } : {}] }) as { sweepId: string });
        } catch (error) {
          throw new CliError(reason(error));
        }
        if (!opts.wait) {
          out.result({ sweepId, enforce: opts.enforce ?? cfg.enforce }, `started ${sweepId}${opts.enforce ?? cfg.enforce ? '' : ' (dry-run)'}; see: stratus lifecycle report ${sweepId}`);
          return;
        }
        const handle = client.workflow.getHandle(sweepId);
        const started = Date.now();
        const tty = (io.stdout as { isTTY?: boolean }).isTTY === true && !out.json;
        let last = '';
        for (;;) {
          const report = await handle.query<SweepReport>('status');
          // progress lines on a terminal only; pipes and --json get just the result
          if (tty && report.status !== last) io.stdout.write(`${sweepId}: ${report.status} (${Math.round((Date.now() - started) / 1000)}s)\n`);
          last = report.status;
          if (report.status === 'awaiting-approval' || FINAL_SWEEP_STATUSES.includes(report.status)) {
            const hint = report.status === 'awaiting-approval' ? `\nrun: stratus lifecycle approve ${sweepId}` : '';
            out.result({ ...report }, `${report.summary}${hint}`);
            failIfFailed(report);
            return;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      });
    });

  lifecycle
    .command('approve')
    .description('approve a sweep that stopped over maxActionsPerSweep / maxActionsPercent')
    .argument('<sweepId>', 'the sweep, e.g. lifecycle-sweep-20250301', parseSweepId)
    .action(async (sweepId: string, _opts: unknown, command: Command) => {
      const { loaded } = lifecycleConfig(command, io);
      const out = outputFor(command, io);
      const by = clientIdentity(command, io);
      const result = await withClient(loaded, io, clientIdentity(command, io), async (client) => {
        try {
          return await client.workflow.getHandle(sweepId).executeUpdate('approve', { args: [{ by }] }) as { approvedBy: string };
        } catch (error) {
          if ((error as Error).name === 'WorkflowNotFoundError') notFound(error, `sweep ${sweepId}`);
          throw new CliError(reason(error));
        }
      });
      out.result({ sweepId, ...result }, `approved ${sweepId} (by ${result.approvedBy}); it acts now`);
    });

  lifecycle
    .command('exempt')
    .description('keep a resource (or a whole project) out of every rule until a date')
    .argument('<resourceId>', 'server, image, volume … or project id')
    .requiredOption('--until <date>', 'last day of the exemption (YYYY-MM-DD)', parseDay)
    .requiredOption('--reason <text>', 'why it is kept (shown in every plan)')
    .action(async (resourceId: string, opts: { until: string; reason: string }, command: Command) => {
      if (!RESOURCE_ID.test(resourceId)) throw new CliError(`resourceId: ${JSON.stringify(resourceId)} is not a resource or project id`, 2);
      if (!opts.reason.trim()) throw new CliError('--reason: must not be empty (say why the resource is kept)', 2);
      const { loaded, lifecycle: cfg } = lifecycleConfig(command, io);
      const out = outputFor(command, io);
      const exemption = await withClient(loaded, io, clientIdentity(command, io), async (client) => {
        await ensureLifecycle(client, cfg);
        try {
          return await client.workflow.getHandle(LIFECYCLE_WORKFLOW_ID).executeUpdate('exempt', { args: [{ resourceId, until: opts.until, reason: opts.reason }] }) as RememberedExemption;
        } catch (error) {
          throw new CliError(reason(error), 2);
        }
      });
      out.result({ ...exemption }, `${exemption.id} is exempt until ${exemption.until}: ${exemption.reason}`);
    });

  lifecycle
    .command('report')
    .description("a sweep's report (without an id: the newest sweep, running or waiting for approval included)")
    .argument('[sweepId]', 'the sweep, e.g. lifecycle-sweep-20250301', parseSweepId)
    .action(async (sweepId: string | undefined, _opts: unknown, command: Command) => {
      const { loaded } = lifecycleConfig(command, io);
      const out = outputFor(command, io);
      const report = await withClient(loaded, io, clientIdentity(command, io), async (client) => {
        const entity = client.workflow.getHandle(LIFECYCLE_WORKFLOW_ID);
        let found: SweepReport | undefined;
        let id = sweepId;
        try {
          if (!id) {
            // the sweep running now (perhaps waiting for approval) is newer than the last finished one
            const status = await entity.query<LifecycleStatus>('status');
            id = status.running?.sweepId;
          }
          found = await entity.query<SweepReport | undefined, [string?]>('report', ...(id ? [id] : []));
        } catch (error) {
          if (!sweepId) notFound(error, `the lifecycle workflow (${LIFECYCLE_WORKFLOW_ID})`);
        }
        if (!found && id) {
          try {
            found = await client.workflow.getHandle(id).query<SweepReport>('status');
          } catch (error) {
            notFound(error, `sweep ${id}`);
          }
        }
        return found;
      });
      if (!report) throw new CliError('no sweep has run yet');
      const waiting = report.status === 'awaiting-approval'
        ? `\n${report.sweepId} is waiting for approval${report.blastRadius?.reason ? ` (${report.blastRadius.reason})` : ''}: stratus lifecycle approve ${report.sweepId}`
        : '';
      out.result({ ...report }, `${report.summary}${waiting}`);
    });
}

/** A sweep that failed, or had an action fail or go unverified, exits 1 after its report is printed. */
function failIfFailed(report: SweepReport): void {
  if (report.status === 'failed') throw new CliError(`sweep ${report.sweepId} failed: ${report.error ?? 'see its report'}`);
  const bad = report.actions.filter((a) => a.outcome === 'failed' || a.outcome === 'not-visible').length;
  if (report.status === 'completed-with-failures' || bad > 0) {
    const notices = report.notices.failed.length;
    const what = [bad ? `${bad} action${bad === 1 ? '' : 's'} failed or could not be checked` : '', notices ? `${notices} notice${notices === 1 ? '' : 's'} failed` : ''].filter(Boolean).join(', ');
    throw new CliError(`sweep ${report.sweepId} completed with failures: ${what}`);
  }
}

function plainPlan(plan: PlanLine[], report: SweepReport): string {
  const unseen = (report.unseen ?? []).map((u) => `warning: ${u}`);
  if (plan.length === 0) return [`nothing to do as of ${report.at}`, ...unseen].join('\n');
  const lines = plan.map((p) => `${p.dueAt.slice(0, 16).replace('T', ' ')}  ${p.action.padEnd(9)} ${p.resource.type} ${p.resource.name} (${p.resource.id}, project ${p.resource.project})\n    ${p.rule}: ${p.reason}`);
  return [`plan as of ${report.at}: ${plan.length} item${plan.length === 1 ? '' : 's'}`, ...lines, ...unseen, ...report.problems.map((p) => `problem: ${p}`)].join('\n');
}
