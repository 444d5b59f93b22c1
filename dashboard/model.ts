// What the dashboard shows, read from Temporal: the entity workflows are found through visibility
// (`WorkflowType = '…'`) and read with their queries. Each section says whether Temporal answered;
// a workflow that is gone or not running is a row that says so, never an exception.
import { type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { type BuildListEntry, type StreamStatus, IMAGE_STREAM } from '../workflows/image-stream-model.js';
import { LIFECYCLE_WORKFLOW_ID, type LifecycleStatus, type PlanLine, type SweepReport } from '../workflows/lifecycle-sweep-types.js';
import { type ReleaseTrainInput, type TrainConfig, type TrainStatus } from '../workflows/release-train-types.js';

/** Temporal answered, or not (then `error` says what the client saw; no stack). */
export type Reach = { temporal: 'ok' } | { temporal: 'unreachable'; error: string };

/** One release train: its status when it runs, else the execution status Temporal reports. */
export interface TrainRow {
  workflowId: string;
  /** RUNNING, COMPLETED, CANCELLED, TERMINATED … */
  execution: string;
  startTime: string;
  status?: TrainStatus;
  /**
   * The calendar settings the train was started with (from its first history event): the
   * planned phases after an `advance`, the trickle-down slots and the next train's lane.
   * Absent when the history could not be read.
   */
  plan?: TrainPlanSettings;
  /** Why the status could not be read (not running, query failed). */
  problem?: string;
}

/** The slice of a train's input the calendar picture needs. */
export type TrainPlanSettings = Pick<TrainConfig, 'sprints' | 'trickleDown' | 'trickleDownAt'>;

export type ReleasesView = Reach & { trains: TrainRow[] };

/** One image stream: status and builds (oldest first). */
export interface StreamRow {
  workflowId: string;
  stream: string;
  execution: string;
  status?: StreamStatus;
  builds: BuildListEntry[];
  problem?: string;
}

export type ImagesView = Reach & { streams: StreamRow[] };

/** A sweep as the lifecycle page lists it (running ones may wait for approval). */
export interface SweepRow {
  sweepId: string;
  execution: string;
  report?: SweepReport;
  problem?: string;
}

export type LifecycleView = Reach & {
  /** Null when the `lifecycle` workflow is not running (the page says so). */
  status: LifecycleStatus | null;
  problem?: string;
  lastReport: SweepReport | null;
  /** The newest finished plan (`stratus lifecycle plan`), with its items. */
  plan: { sweepId: string; at: string; items: PlanLine[]; problems: string[] } | null;
  /** Sweeps still running (e.g. waiting for approval). */
  running: SweepRow[];
};

/** How long one call may wait for Temporal before the page says "unreachable" (default). */
export const DEFAULT_DEADLINE_MS = 4_000;

/** An error as one line for a person: the message without a stack. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { message?: string }; details?: string };
  const text = e?.cause?.message ?? e?.details ?? e?.message ?? String(error);
  return text.split('\n')[0]!.slice(0, 300);
}

/** True for errors that mean "Temporal did not answer" rather than "no such workflow". */
function isUnreachable(error: unknown): boolean {
  const e = error as { name?: string; code?: number; message?: string; cause?: unknown };
  if (e?.name === 'WorkflowNotFoundError' || e?.name === 'QueryNotRegisteredError' || e?.name === 'NamespaceNotFoundError') return false;
  // gRPC UNAVAILABLE (14), DEADLINE_EXCEEDED (4), or a connection that never opened; the SDK
  // wraps them in a ServiceError whose cause carries the code.
  if (e?.code === 14 || e?.code === 4 || /UNAVAILABLE|ECONNREFUSED|DEADLINE|No connection established/i.test(e?.message ?? '')) return true;
  return e?.cause !== undefined && e.cause !== error && isUnreachable(e.cause);
}

function notRunning(error: unknown, what: string): string {
  const name = (error as { name?: string })?.name;
  if (name === 'WorkflowNotFoundError') return `${what} was not found`;
  return `${what} could not be read: ${describeError(error)}`;
}

/** Per-call deadlines, by client (the dashboard sets its own). */
const deadlines = new WeakMap<Client, number>();
/** Sets how long calls of `client` may wait for Temporal. */
export function setDeadline(client: Client, ms: number): void {
  deadlines.set(client, ms);
}

async function withDeadline<T>(client: Client, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + (deadlines.get(client) ?? DEFAULT_DEADLINE_MS), fn);
}

/** The executions of one workflow type, one per workflow id (the running run wins, then the newest). */
async function listType(client: Client, type: string): Promise<Array<{ workflowId: string; execution: string; startTime: string }>> {
  const byId = new Map<string, { workflowId: string; execution: string; startTime: string }>();
  await withDeadline(client, async () => {
    for await (const w of client.workflow.list({ query: `WorkflowType = '${type}'` })) {
      const row = { workflowId: w.workflowId, execution: w.status.name, startTime: w.startTime.toISOString() };
      const seen = byId.get(w.workflowId);
      if (!seen || row.execution === 'RUNNING' || (seen.execution !== 'RUNNING' && row.startTime > seen.startTime)) byId.set(w.workflowId, row);
    }
  });
  return [...byId.values()];
}

async function section<T extends object>(fn: () => Promise<T>, empty: T): Promise<Reach & T> {
  try {
    return { temporal: 'ok', ...(await fn()) };
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    return { temporal: 'unreachable', error: describeError(error), ...empty };
  }
}

/** The sprints and trickle-down cadence a train was started with: the first event of its current run. */
async function trainPlan(client: Client, workflowId: string): Promise<TrainPlanSettings | undefined> {
  try {
    const page = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId }, maximumPageSize: 1 });
    const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) return undefined;
    const input = defaultPayloadConverter.fromPayload<ReleaseTrainInput>(payload);
    const { sprints, trickleDown, trickleDownAt } = input.config;
    return Array.isArray(sprints) ? { sprints, trickleDown, trickleDownAt } : undefined;
  } catch (error) {
    if (isUnreachable(error)) throw error;
    return undefined; // the picture then shows the calendar as it is, without the planned spans
  }
}

/** Every release train, newest version first. */
export async function loadReleases(client: Client): Promise<ReleasesView> {
  return section(async () => {
    const rows = await listType(client, 'releaseTrain');
    const trains = await Promise.all(rows.map(async (row): Promise<TrainRow> => {
      if (row.execution !== 'RUNNING') return { ...row, problem: `${row.workflowId} is not running (${row.execution.toLowerCase()})` };
      try {
        const [status, plan] = await withDeadline(client, () =>
          Promise.all([client.workflow.getHandle(row.workflowId).query<TrainStatus>('status'), trainPlan(client, row.workflowId)]));
        return { ...row, status, ...(plan ? { plan } : {}) };
      } catch (error) {
        if (isUnreachable(error)) throw error;
        return { ...row, problem: notRunning(error, row.workflowId) };
      }
    }));
    trains.sort((a, b) => b.workflowId.localeCompare(a.workflowId, 'en', { numeric: true }));
    return { trains };
  }, { trains: [] });
}

/** Every image stream with its builds, by name. */
export async function loadImages(client: Client): Promise<ImagesView> {
  return section(async () => {
    const rows = await listType(client, 'imageStream');
    const streams = await Promise.all(rows.map(async (row): Promise<StreamRow> => {
      const stream = row.workflowId.replace(/^image-stream-/, '');
      const base = { workflowId: row.workflowId, stream, execution: row.execution, builds: [] };
      if (row.execution !== 'RUNNING') return { ...base, problem: `stream ${stream} is not running (${row.execution.toLowerCase()})` };
      try {
        const handle = client.workflow.getHandle(row.workflowId);
        const [status, builds] = await withDeadline(client, () =>
          Promise.all([handle.query<StreamStatus>(IMAGE_STREAM.statusQuery), handle.query<BuildListEntry[]>(IMAGE_STREAM.listQuery)]));
        return { ...base, status, builds };
      } catch (error) {
        if (isUnreachable(error)) throw error;
        return { ...base, problem: notRunning(error, `stream ${stream}`) };
      }
    }));
    streams.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
    return { streams };
  }, { streams: [] });
}

/** The lifecycle workflow's status and last report, the newest plan and the running sweeps. */
export async function loadLifecycle(client: Client): Promise<LifecycleView> {
  const empty = { status: null, lastReport: null, plan: null, running: [] };
  return section(async () => {
    const view: Omit<LifecycleView, 'temporal' | 'error'> = { ...empty, running: [] };
    const handle = client.workflow.getHandle(LIFECYCLE_WORKFLOW_ID);
    try {
      const [status, last] = await withDeadline(client, () =>
        Promise.all([handle.query<LifecycleStatus>('status'), handle.query<SweepReport | undefined>('report')]));
      view.status = status;
      view.lastReport = last ?? null;
    } catch (error) {
      if (isUnreachable(error)) throw error;
      view.problem = (error as { name?: string }).name === 'WorkflowNotFoundError'
        ? `the lifecycle workflow (${LIFECYCLE_WORKFLOW_ID}) is not running: configure lifecycle: and openstack: and start \`stratus dev\` or \`stratus worker\``
        : notRunning(error, `the lifecycle workflow (${LIFECYCLE_WORKFLOW_ID})`);
    }
    const sweeps = await listType(client, 'lifecycleSweep');
    const plans = sweeps.filter((s) => s.workflowId.startsWith('lifecycle-plan-') && s.execution === 'COMPLETED')
      .sort((a, b) => (a.startTime < b.startTime ? 1 : -1));
    if (plans[0]) {
      try {
        const report = await withDeadline(client, () => client.workflow.getHandle(plans[0]!.workflowId).result() as Promise<SweepReport>);
        view.plan = { sweepId: report.sweepId, at: report.at, items: report.plan ?? [], problems: report.problems };
      } catch (error) {
        if (isUnreachable(error)) throw error;
      }
    }
    for (const s of sweeps.filter((x) => x.execution === 'RUNNING' && !x.workflowId.startsWith('lifecycle-plan-'))) {
      try {
        const report = await withDeadline(client, () => client.workflow.getHandle(s.workflowId).query<SweepReport>('status'));
        view.running.push({ sweepId: s.workflowId, execution: s.execution, report });
      } catch (error) {
        if (isUnreachable(error)) throw error;
        view.running.push({ sweepId: s.workflowId, execution: s.execution, problem: notRunning(error, s.workflowId) });
      }
    }
    return view;
  }, empty);
}
