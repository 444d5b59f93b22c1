// `stratus release …`: start a release train (or print its plan), read its status, and the
// decisions a release manager makes (approve, advance, tag, resume, cancel) as updates on
// `release-v<N>`. Temporal comes from the environment, else the `stratus dev` server.
import { Client, type Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { type Command } from 'commander';
import { parseInstant } from '../workflows/release-calendar.js';
import { InvalidNameError, validateVersion } from '../workflows/release-names.js';
import { advanceUpdate, approveUpdate, cancelUpdate, resumeUpdate, statusQuery, tagUpdate } from '../workflows/release-train-api.js';
import {
  RELEASE_TASK_QUEUE, planTrain, releaseWorkflowId, trainConfigFrom, type ReleaseTrainInput, type TrainStatus,
} from '../workflows/release-train-types.js';
import { clientTarget } from './dev-state.js';
import { clientIdentity, loadCommandConfig, outputFor } from './context.js';
import { cliIdentity, resolveOperator, type Operator } from './operator.js';
import { CliError, type CliIo, EXIT_USAGE } from './output.js';

const CODENAME = /^[a-z][a-z0-9-]{0,62}$/;

function version(value: string): number {
  try {
    return validateVersion(value);
  } catch (error) {
    if (error instanceof InvalidNameError) throw new CliError(error.message, EXIT_USAGE);
    throw error;
  }
}

/**
 * A Temporal client for the command: TEMPORAL_ADDRESS / profile / temporal.address, else the
 * running `stratus dev`, else dev.host:dev.port. The client's identity `cli:<login>` names the
 * operator (`--as`, STRATUS_OPERATOR, the OS user) in the history.
 */
async function withClient<T>(command: Command, io: CliIo, fn: (client: Client) => Promise<T>, operator?: Operator): Promise<T> {
  const loaded = loadCommandConfig(command, io, true);
  const identity = clientIdentity(command, io);
  const { connectClient } = await import('../workers/temporal-connection.js');
  const target = await clientTarget(loaded, io, true);
  const connection: Connection = await connectClient(target);
  try {
    return await fn(new Client({ connection, namespace: target.namespace, identity: operator ? cliIdentity(operator) : identity }));
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new CliError(`no release train ${error.workflowId ?? ''} (start it with \`stratus release start <N>\`)`);
    if (error instanceof WorkflowUpdateFailedError) throw new CliError(error.cause?.message ?? error.message);
    const cause = (error as { cause?: Error }).cause;
    if (error instanceof Error && error.name === 'WorkflowUpdateFailedError' && cause) throw new CliError(cause.message);
    throw error;
  } finally {
    await connection.close();
  }
}

/** Plain lines of a status for people. */
export function formatStatus(s: TrainStatus): string {
  const lines = [`${s.workflowId} v${s.version} (${s.codename}): ${s.stage}${s.runs > 1 ? ` (run ${s.runs})` : ''}`];
  lines.push(`  calendar ${s.calendar.start} → ${s.calendar.end}`);
  for (const [i, p] of s.calendar.phases.entries()) lines.push(`  ${s.phase?.index === i ? '▶' : ' '} ${p.name} (${p.focus}) ${p.start} → ${p.end}`);
  for (const r of s.repos) {
    const via = r.lastMerge?.pullRequest ? ` (pull request #${r.lastMerge.pullRequest.number} ${r.lastMerge.pullRequest.url})` : '';
    const merge = r.lastMerge ? `, last ${r.lastMerge.kind} ${r.lastMerge.status}${via} at ${r.lastMerge.at}` : '';
    const open = r.pullRequest ? `; waiting on pull request #${r.pullRequest.number} ${r.pullRequest.url} from ${r.pullRequest.head}` : '';
    lines.push(`  repo ${r.name}: ${r.state} on ${r.branch}${merge}${open}`);
  }
  const approved = s.approved ? `yes${s.approvedBy ? ` by ${s.approvedBy}` : ''}` : s.autoApprove ? 'auto' : 'no';
  lines.push(`  trickle-downs: ${s.trickleDowns}${s.lastTrickleDown ? ` (last ${s.lastTrickleDown})` : ''}; approved: ${approved}`);
  if (s.tags.length > 0) lines.push(`  tags: ${s.tags.map((t) => t.tag).join(', ')}`);
  if (s.releaseNotes) lines.push(`  release notes: ${s.releaseNotes}`);
  if (s.nextTrain) lines.push(`  next train: ${s.nextTrain}${s.successorReleased ? ` (released ${s.successorReleased})` : ''}`);
  for (const w of s.waiting) lines.push(`  waiting (${w.kind}) since ${w.since}: ${w.reason}`);
  return lines.join('\n');
}

export function registerReleaseCommands(program: Command, io: CliIo): void {
  const release = program.command('release').description('release trains: one durable workflow release-v<N> per release');

  release
    .command('start')
    .description('start train <N> (branch v<N>, the sprint calendar, trickle-downs, the release gate)')
    .argument('<N>', 'release version, a positive whole number')
    .option('--codename <name>', 'codename (default: an alliterative adjective-bird name)')
    .option('--start <date>', 'calendar start, YYYY-MM-DD or ISO date-time (default: now)')
    .option('--dry-run', 'print the calendar and every git/JIRA/GitHub action without doing anything')
    .allowUnknownOption()
    .action(async (n: string, opts: { codename?: string; start?: string; dryRun?: boolean }, command: Command) => {
      const v = version(n);
      if (opts.codename !== undefined && !CODENAME.test(opts.codename)) {
        throw new CliError(`codename must be lowercase letters, digits and "-" (e.g. zesty-zapdos), got ${JSON.stringify(opts.codename)}`, EXIT_USAGE);
      }
      let start: string | undefined;
      if (opts.start !== undefined) {
        try {
          start = new Date(parseInstant(opts.start, 'start')).toISOString();
        } catch (error) {
          throw new CliError((error as Error).message, EXIT_USAGE);
        }
      }
      const loaded = loadCommandConfig(command, io, true);
      if (!loaded.config.release) throw new CliError(`${loaded.file} has no release: section (see stratus.example.yaml)`, EXIT_USAGE);
      const config = trainConfigFrom(loaded.config.release);
      const out = outputFor(command, io);
      if (opts.dryRun) {
        const plan = planTrain({ version: v, codename: opts.codename, start: start ?? new Date().toISOString(), config });
        const phases = plan.calendar.phases.map((p) => `  ${p.name} (${p.focus}) ${p.start} → ${p.end}`);
        const actions = plan.actions.map((a, i) => `  ${i + 1}. [${a.system}] ${a.action}`);
        out.result({ ok: true, dryRun: true, ...plan }, [`${plan.workflowId} v${v} (${plan.codename}), dry run: nothing was done`, 'calendar:', ...phases, 'actions:', ...actions].join('\n'));
        return;
      }
      const input: ReleaseTrainInput = { version: v, config, ...(opts.codename ? { codename: opts.codename } : {}), ...(start ? { start } : {}) };
      const workflowId = releaseWorkflowId(v);
      await withClient(command, io, async (client) => {
        try {
          await client.workflow.start('releaseTrain', { taskQueue: RELEASE_TASK_QUEUE, workflowId, args: [input] });
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError) throw new CliError(`${workflowId} is already running (see \`stratus release status ${v}\`)`);
          throw error;
        }
        out.result({ ok: true, workflowId, version: v }, `started ${workflowId}`);
      });
    });

  release
    .command('status')
    .description('phase, dates, repos, what the train waits for and why, tags')
    .argument('<N>', 'release version')
    .allowUnknownOption()
    .action(async (n: string, _opts: unknown, command: Command) => {
      const v = version(n);
      await withClient(command, io, async (client) => {
        const s = await client.workflow.getHandle(releaseWorkflowId(v)).query(statusQuery);
        outputFor(command, io).result({ ok: true, ...s }, formatStatus(s));
      });
    });

  const decisions: Array<[string, string, (client: Client, id: string, operator: Operator) => Promise<unknown>, (r: unknown) => string]> = [
    ['approve', 'open the release gate (in the release phase or after the calendar ended); with GitHub the approver must administer every repo',
      (c, id, op) => c.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ approver: op.login }] }), (r) => String(r)],
    ['advance', 'end the running phase now', (c, id) => c.workflow.getHandle(id).executeUpdate(advanceUpdate),
      (r) => (r ? `now in "${(r as { name: string }).name}" until ${(r as { end: string }).end}` : 'past the last phase')],
    ['tag', 'cut the next patch tag v<N>-<k+1> and print it', (c, id, op) => c.workflow.getHandle(id).executeUpdate(tagUpdate, { args: [{ by: op.login }] }), (r) => (r as { tag: string }).tag],
    ['resume', 'retry what the train waits on, after fixing it', (c, id) => c.workflow.getHandle(id).executeUpdate(resumeUpdate), (r) => String(r)],
    ['cancel', 'stop the train', (c, id) => c.workflow.getHandle(id).executeUpdate(cancelUpdate), (r) => String(r)],
  ];
  for (const [name, description, call, plain] of decisions) {
    release
      .command(name)
      .description(description)
      .argument('<N>', 'release version')
      .allowUnknownOption()
      .action(async (n: string, _opts: object, command: Command) => {
        const v = version(n);
        // `--as` is the program's global option (cli/program.ts): who is acting, recorded in the history
        const operator = resolveOperator(command.optsWithGlobals<{ as?: string }>().as, io);
        await withClient(command, io, async (client) => {
          const result = await call(client, releaseWorkflowId(v), operator);
          const data = typeof result === 'object' && result !== null ? result : { message: result };
          outputFor(command, io).result({ ok: true, command: name, version: v, by: operator.login, ...data }, plain(result));
        }, operator);
      });
  }

  release
    .command('list')
    .description('every release train with its state')
    .action(async (_opts: unknown, command: Command) => {
      await withClient(command, io, async (client) => {
        const trains: Array<{ workflowId: string; status: string; startTime: string; stage?: string }> = [];
        for await (const w of client.workflow.list({ query: "WorkflowType = 'releaseTrain'" })) {
          const train = { workflowId: w.workflowId, status: w.status.name, startTime: w.startTime.toISOString() } as (typeof trains)[number];
          if (w.status.name === 'RUNNING') {
            train.stage = await client.workflow.getHandle(w.workflowId).query(statusQuery).then((s) => s.stage, () => undefined);
          }
          if (!trains.some((t) => t.workflowId === train.workflowId)) trains.push(train);
        }
        trains.sort((a, b) => a.workflowId.localeCompare(b.workflowId, 'en', { numeric: true }));
        const out = outputFor(command, io);
        out.result({ ok: true, trains }, trains.length === 0 ? 'no release trains' : trains.map((t) => `${t.workflowId}  ${t.status}${t.stage ? ` (${t.stage})` : ''}  started ${t.startTime}`).join('\n'));
      });
    });
}
