// Visibility listings: ListWorkflowExecutions' runs and pages, and the older list APIs tools
// still call (tctl, older SDKs and UIs): ListOpenWorkflowExecutions, ListClosedWorkflowExecutions
// and ScanWorkflowExecutions, with their filters read as the real server's frontend reads them
// (a missing time range is "from the epoch until now"; an open run is filtered by its start time,
// a closed one by its close time; newest first).
import type { Engine } from './engine.js';
import { type Handler, type Msg, invalidArgument, ts, tsToMs } from './proto.js';
import { runPriority } from './priority.js';
import type { Run } from './types.js';
import { parseQuery } from './visibility.js';

/** The frontend's default (and largest) page: `frontend.visibilityMaxPageSize`. */
const MAX_PAGE_SIZE = 1000;

/** The runs of `namespace` that `keep` accepts, in no order. */
function runsWhere(engine: Engine, namespace: string, keep: (run: Run) => boolean): Run[] {
  const runs: Run[] = [];
  for (const run of engine.runsById.values()) if (run.namespace === namespace && keep(run)) runs.push(run);
  return runs;
}

const newestStartFirst = (a: Run, b: Run) => b.startTime - a.startTime || (a.runId < b.runId ? -1 : 1);

/** The runs of `namespace` matching a List query, newest start first. */
export function listRuns(engine: Engine, namespace: string, query: string | undefined): Run[] {
  return runsWhere(engine, namespace, parseQuery(query ?? '', engine.searchAttributes)).sort(newestStartFirst);
}

/**
 * One page of a listing (runs, schedules, batch jobs): the items from the offset `token` names
 * (none: the start), at most `pageSize` of them, and the token of the next page if there is one.
 */
export function pageOf<T>(items: T[], pageSize: unknown, token: Uint8Array | undefined): { page: T[]; nextPageToken?: Buffer } {
  const from = token?.length ? Number(Buffer.from(token).toString('utf8')) : 0;
  if (!Number.isInteger(from) || from < 0) throw invalidArgument('Invalid NextPageToken.');
  const size = Number(pageSize) > 0 ? Math.min(Number(pageSize), MAX_PAGE_SIZE) : MAX_PAGE_SIZE;
  const page = items.slice(from, from + size);
  const next = from + page.length;
  return { page, nextPageToken: next < items.length ? Buffer.from(String(next)) : undefined };
}

/** One page of `runs` as WorkflowExecutionInfo, with the token of the next page if there is one. */
export function listPage(runs: Run[], pageSize: unknown, token: Uint8Array | undefined): Msg {
  const { page, nextPageToken } = pageOf(runs, pageSize, token);
  return { executions: page.map(executionInfo), nextPageToken };
}

export function executionInfo(run: Run): Msg {
  return {
    execution: { workflowId: run.workflowId, runId: run.runId },
    type: { name: run.workflowType },
    startTime: ts(run.startTime),
    closeTime: run.closeTime !== undefined ? ts(run.closeTime) : undefined,
    status: run.status,
    historyLength: run.history.length,
    parentExecution: run.parent ? { workflowId: run.parent.workflowId, runId: run.parent.runId } : undefined,
    rootExecution: run.root ?? { workflowId: run.workflowId, runId: run.runId },
    executionTime: ts(run.executionTime),
    memo: run.memo,
    searchAttributes: Object.keys(run.searchAttributes).length ? { indexedFields: run.searchAttributes } : undefined,
    taskQueue: run.taskQueue,
    stateTransitionCount: run.history.length,
    historySizeBytes: run.historySizeBytes,
    firstRunId: run.firstRunId,
    priority: runPriority(run),
  };
}

/** The `[earliest, latest]` of a StartTimeFilter, defaults filled in and checked. */
function timeRange(engine: Engine, filter: Msg | undefined): [number, number] {
  const earliest = tsToMs(filter?.earliestTime) || 0;
  const latest = tsToMs(filter?.latestTime) || engine.clock.now();
  if (earliest > latest) throw invalidArgument('EarliestTime in StartTimeFilter should not be larger than LatestTime.');
  return [earliest, latest];
}

/** The executionFilter / typeFilter of a legacy list request (they are one of a kind: at most one is set). */
function legacyFilter(req: Msg): (run: Run) => boolean {
  const byExecution = req.executionFilter as Msg | undefined;
  const byType = req.typeFilter as Msg | undefined;
  if (byExecution?.workflowId) {
    return (run) => run.workflowId === byExecution.workflowId && (!byExecution.runId || run.runId === byExecution.runId);
  }
  if (byType?.name) return (run) => run.workflowType === byType.name;
  return () => true;
}

export function legacyListHandlers(engine: Engine): Record<string, Handler> {
  const inNamespace = (req: Msg, keep: (run: Run) => boolean): Run[] => runsWhere(engine, engine.namespace(req.namespace).name, keep);
  return {
    ListOpenWorkflowExecutions: (req) => {
      const [earliest, latest] = timeRange(engine, req.startTimeFilter);
      const filter = legacyFilter(req);
      const runs = inNamespace(req, (r) => r.status === 'WORKFLOW_EXECUTION_STATUS_RUNNING' && r.startTime >= earliest && r.startTime <= latest && filter(r));
      runs.sort(newestStartFirst);
      return listPage(runs, req.maximumPageSize, req.nextPageToken);
    },

    ListClosedWorkflowExecutions: (req) => {
      const [earliest, latest] = timeRange(engine, req.startTimeFilter);
      const filter = legacyFilter(req);
      const status = req.statusFilter?.status as string | undefined;
      const wanted = status && status !== 'WORKFLOW_EXECUTION_STATUS_UNSPECIFIED' ? status : undefined;
      if (wanted === 'WORKFLOW_EXECUTION_STATUS_RUNNING') throw invalidArgument('statusFilter.status cannot be RUNNING for closed workflow executions');
      const runs = inNamespace(
        req,
        (r) => r.closeTime !== undefined && r.status !== 'WORKFLOW_EXECUTION_STATUS_RUNNING' && r.closeTime >= earliest && r.closeTime <= latest && (!wanted || r.status === wanted) && filter(r),
      );
      runs.sort((a, b) => b.closeTime! - a.closeTime! || (a.runId < b.runId ? -1 : 1));
      return listPage(runs, req.maximumPageSize, req.nextPageToken);
    },

    // deprecated: the same as ListWorkflowExecutions (the real server answers it so since 1.20)
    ScanWorkflowExecutions: (req) => listPage(listRuns(engine, engine.namespace(req.namespace).name, req.query), req.pageSize, req.nextPageToken),
  };
}
