// Reads the histories the audit needs: every run of a workflow id, newest first back through
// continue-as-new (each run's start event names the run it continued), and for the `lifecycle`
// entity also its recent sweeps (children), where sweep approvals are recorded.
import { type Client } from '@temporalio/client';
import { type AuditEntry, type AuditRun, type HistoryEventLike, auditEntries } from './audit.js';

/** A workflow id the audit accepts: what our entity and sweep ids look like. */
export const AUDIT_WORKFLOW_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** The audit of one entity. */
export interface AuditView {
  workflowId: string;
  /** Runs read, newest first. */
  runs: Array<{ runId: string; continuedFrom: string | null }>;
  /** Child workflows whose decisions are included (lifecycle sweeps). */
  children: string[];
  entries: AuditEntry[];
  /** True when older runs or sweeps were left out (the limits below). */
  truncated: boolean;
}

/** How far back the audit reads. */
export interface AuditLimits {
  maxRuns?: number;
  maxChildren?: number;
}

interface StartedAttrs { continuedExecutionRunId?: string | null }
interface ChildStartedAttrs { workflowExecution?: { workflowId?: string | null; runId?: string | null } | null }
type Event = HistoryEventLike & {
  workflowExecutionStartedEventAttributes?: StartedAttrs | null;
  childWorkflowExecutionStartedEventAttributes?: ChildStartedAttrs | null;
};

async function history(client: Client, workflowId: string, runId?: string): Promise<{ runId: string; events: Event[] }> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const resolved = runId ?? (await handle.describe()).runId;
  const h = await client.workflow.getHandle(workflowId, resolved).fetchHistory();
  return { runId: resolved, events: (h.events ?? []) as Event[] };
}

/** Every decision on `workflowId` across its runs (and, for `lifecycle`, its recent sweeps). Throws WorkflowNotFoundError when there is none. */
export async function loadAudit(client: Client, workflowId: string, limits: AuditLimits = {}): Promise<AuditView> {
  const maxRuns = limits.maxRuns ?? 50;
  const maxChildren = limits.maxChildren ?? 30;
  const runs: AuditRun[] = [];
  const view: AuditView = { workflowId, runs: [], children: [], entries: [], truncated: false };
  let next: string | undefined;
  let first = true;
  while (first || next) {
    if (runs.length >= maxRuns) {
      view.truncated = true;
      break;
    }
    const run = await history(client, workflowId, next);
    first = false;
    const continuedFrom = run.events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || null;
    runs.push({ workflowId, runId: run.runId, events: run.events });
    view.runs.push({ runId: run.runId, continuedFrom });
    next = continuedFrom ?? undefined;
  }
  if (workflowId === 'lifecycle') {
    const children = runs.flatMap((r) => (r.events as Event[]).flatMap((e) => {
      const x = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      return x?.workflowId && x.runId ? [{ workflowId: x.workflowId, runId: x.runId }] : [];
    }));
    // runs are newest first, events oldest first: order children by their id (dated) instead
    children.sort((a, b) => b.workflowId.localeCompare(a.workflowId));
    if (children.length > maxChildren) view.truncated = true;
    for (const child of children.slice(0, maxChildren)) {
      try {
        const h = await history(client, child.workflowId, child.runId);
        runs.push({ ...child, events: h.events });
        view.children.push(child.workflowId);
      } catch (error) {
        if ((error as Error).name !== 'WorkflowNotFoundError') throw error; // a sweep past retention
      }
    }
  }
  view.entries = auditEntries(runs);
  return view;
}
