// `lifecycleSweep`: one sweep over the cloud. Lists the inventory page by page, loads allocations,
// plans, sends the due warnings, checks the blast radius (waiting for `approve` above the caps),
// re-checks every item right before acting, then shelves, deletes (a project's resources in
// dependency order) and unfeatures. Dry-run unless enforcing. Returns its report.
import {
  ActivityFailure, ApplicationFailure, condition, defineQuery, defineSignal, defineUpdate, patched, proxyActivities, setHandler,
} from '@temporalio/workflow';
import type { createAllocationActivities } from '../activities/allocations.js';
import type { createNotifyActivities } from '../activities/notify.js';
import type { createOpenStackActivities, InventoryCursor, ServerActionResult } from '../activities/openstack.js';
import { DEFAULT_STATES, isDestructive, plan } from './lifecycle-planner.js';
import type { ConfigExemption, Inventory, NoticeRecord, Plan, PlanItem, RuleKind } from './lifecycle-types.js';
import type { ActionRecord, LifecycleSweepInput, SweepReport, SweepStatus } from './lifecycle-sweep-types.js';
import {
  blastRadius, emptyInventory, endedProjects, hasFailures, inventoryCounts, itemKey, kindsFor, mergeInventory, planLines, purgeableProjects,
  resourceRef, summarize, unseenLines,
} from './lifecycle-sweep-logic.js';

type OpenStack = ReturnType<typeof createOpenStackActivities>;
type Allocations = ReturnType<typeof createAllocationActivities>;
type Notify = ReturnType<typeof createNotifyActivities>;

const listing = proxyActivities<OpenStack & Allocations>({
  startToCloseTimeout: '5m', heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});
const notices = proxyActivities<Notify>({
  startToCloseTimeout: '10m', heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});
const acting = proxyActivities<OpenStack>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
});
const purging = proxyActivities<OpenStack>({
  startToCloseTimeout: '30m', heartbeatTimeout: '2m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 5 },
});

export const sweepStatusQuery = defineQuery<SweepReport>('status');
export const approveSweepUpdate = defineUpdate<{ approvedBy: string }, [{ by: string }]>('approve');
export const exemptionsChangedSignal = defineSignal<[ConfigExemption[]]>('exemptionsChanged');

/** Actions run this many at a time: fewer workflow tasks, bounded load on the cloud. */
const BATCH = 10;
const DAY = 86_400_000;

export async function lifecycleSweep(input: LifecycleSweepInput): Promise<SweepReport> {
  const { settings, sweepId } = input;
  const enforce = input.mode === 'sweep' && (input.enforce ?? settings.enforce);
  let exemptions = input.exemptions;
  let status: SweepStatus = 'listing';
  let approvedBy: string | undefined;
  const report: Omit<SweepReport, 'summary'> = {
    sweepId, mode: input.mode, enforce, status, at: input.at ?? nowIso(), startedAt: nowIso(),
    inventory: {}, pages: 0, problems: [], notices: { sent: [], due: 0, unaddressed: 0, failed: [] }, actions: [],
  };
  const snapshot = (): SweepReport => ({ ...report, status, ...(approvedBy ? { approvedBy } : {}), summary: summarize({ ...report, status }) });
  setHandler(sweepStatusQuery, snapshot);
  setHandler(exemptionsChangedSignal, (list) => void (exemptions = list));
  setHandler(approveSweepUpdate, ({ by }) => {
    approvedBy = by.trim();
    return { approvedBy };
  }, {
    validator: (req) => {
      if (status !== 'awaiting-approval') throw new Error(`sweep ${sweepId} is not waiting for approval (it is ${status})`);
      if (typeof req?.by !== 'string' || !req.by.trim()) throw new Error('by: say who approves (must not be empty)');
    },
  });
  const finish = (final: SweepStatus): SweepReport => {
    status = final === 'completed' && hasFailures(report) ? 'completed-with-failures' : final;
    report.finishedAt = nowIso();
    return snapshot();
  };

  // 1. Inventory, page by page; then allocations. Bad input ends the sweep before anything happens.
  const inventory = emptyInventory();
  let allocations: Awaited<ReturnType<Allocations['loadAllocations']>> = [];
  try {
    // Each kind is listed page by page; the kinds (and the allocations) in parallel.
    const rules = settings.policies.rules.map((r) => r.kind);
    // Sweeps recorded before volume snapshots, security groups and Swift containers were listed replay without them.
    const withDependants = patched('inventory-snapshots-groups-containers');
    const kinds = kindsFor(rules, withDependants);
    const listAll = async (kind: InventoryCursor['kind'], projectIds?: string[]): Promise<Inventory[]> => {
      const pages: Inventory[] = [];
      let cursor: InventoryCursor | undefined = { kind };
      do {
        const page: Awaited<ReturnType<OpenStack['listInventory']>> = await listing.listInventory({
          cursor, kinds: [kind], pageSize: settings.pageSize ?? 500, ...(projectIds ? { projectIds } : {}),
        });
        pages.push(page.inventory);
        cursor = page.next;
      } while (cursor);
      return pages;
    };
    const pagesOf = await Promise.all(kinds.map((kind) => listAll(kind))
      .concat(settings.allocations ? [listing.loadAllocations(settings.allocations).then((a) => void (allocations = a)).then(() => [])] : []));
    // Swift cannot list accounts: the containers of the projects whose allocation has ended.
    const ended = endedProjects(allocations, report.at);
    if (withDependants && rules.includes('expire-allocation') && ended.length > 0) pagesOf.push(await listAll('containers', ended));
    for (const page of pagesOf.flat()) mergeInventory(inventory, page);
    report.pages = pagesOf.reduce((n, p) => n + p.length, 0);
    report.inventory = inventoryCounts(inventory);
    const unseen = unseenLines(inventory, ended);
    if (unseen.length > 0) report.unseen = unseen;
  } catch (err) {
    report.error = failureMessage(err);
    return finish('failed');
  }

  // 2. Plan at the workflow's time (or the asked time, when only planning).
  status = 'planning';
  const planAt = (at: string, noticesSent: NoticeRecord[]): Plan => plan({
    inventory, allocations, eol: settings.eol, noticesSent, now: at,
    policies: { ...settings.policies, exempt: [...settings.policies.exempt, ...exemptions] },
  });
  const first = planAt(report.at, input.noticesSent);
  report.problems = first.problems;
  if (input.mode === 'plan') {
    report.plan = planLines(first.items);
    return finish('planned');
  }

  // 3. Warnings, once per resource and stage (the lifecycle workflow remembers them).
  const dueNotices = first.items.filter((i) => i.action === 'notify' && i.due);
  report.notices.due = dueNotices.length;
  if (enforce && settings.notify && dueNotices.length > 0) {
    status = 'notifying';
    try {
      const sent = await notices.sendLifecycleNotices({ sweepId, items: dueNotices, at: report.at });
      report.notices = { sent: sent.sent, due: dueNotices.length, unaddressed: sent.unaddressed.length, failed: sent.failed.map((f) => f.error) };
    } catch (err) {
      report.notices.failed.push(failureMessage(err));
    }
  }

  // 4. Destructive actions: dry-run, or within the caps, or approved.
  const destructive = first.items.filter((i) => isDestructive(i.action) && i.due);
  if (!enforce) {
    report.actions = destructive.map((i) => record(i, 'dry-run'));
    return finish('dry-run');
  }
  if (destructive.length === 0) return finish('completed');
  report.blastRadius = blastRadius(destructive, inventory, settings);
  if (report.blastRadius.exceeded) {
    status = 'awaiting-approval';
    const approved = await condition(() => approvedBy !== undefined, settings.approvalTimeoutMs ?? DAY);
    if (!approved) {
      report.actions = destructive.map((i) => record(i, 'not-approved'));
      return finish('not-approved');
    }
    // Time passed: an allocation may have been renewed since.
    if (settings.allocations) {
      try {
        allocations = await listing.loadAllocations(settings.allocations);
      } catch (err) {
        report.error = failureMessage(err);
        return finish('failed');
      }
    }
  }

  // 5. Re-check right before acting: only what is still due now, with the latest exemptions.
  status = 'acting';
  const recheck = planAt(nowIso(), [...input.noticesSent, ...report.notices.sent]);
  const stillDue = new Set(recheck.items.filter((i) => isDestructive(i.action) && i.due).map(itemKey));
  const act = destructive.filter((i) => {
    if (stillDue.has(itemKey(i))) return true;
    report.actions.push(record(i, 'skipped', 'no longer due at the re-check (exempted, renewed or changed since listing)'));
    return false;
  });
  const servers = new Map(inventory.servers.map((s) => [s.id, s]));
  const statesOf = (kind: RuleKind): string[] => settings.policies.rules.find((r) => r.kind === kind)?.states ?? DEFAULT_STATES[kind] ?? [];
  const guardOf = (i: PlanItem) => ({
    serverId: i.resourceId,
    projectId: i.projectId,
    onlyIfStatus: statesOf(i.rule),
    ...(servers.get(i.resourceId) ? { unchangedSince: servers.get(i.resourceId)!.updated } : {}),
  });
  const serverOutcome = (r: ServerActionResult): [ActionRecord['outcome'], string | undefined] =>
    r.outcome === 'skipped' || r.outcome === 'not-visible' ? [r.outcome, r.reason]
      : r.outcome === 'shelved' || r.outcome === 'deleted' ? ['done', undefined] : ['already-done', r.outcome];

  await inBatches(act.filter((i) => i.action === 'shelve' && i.resourceType === 'server'), async (i) => {
    const [outcome, detail] = serverOutcome(await acting.shelveServer(guardOf(i)));
    return record(i, outcome, detail);
  }, report.actions);
  await inBatches(act.filter((i) => i.action === 'delete' && i.rule !== 'expire-allocation' && i.resourceType === 'server'), async (i) => {
    const [outcome, detail] = serverOutcome(await acting.deleteServer(guardOf(i)));
    return record(i, outcome, detail);
  }, report.actions);
  const purges = act.filter((i) => i.action === 'delete' && i.rule === 'expire-allocation');
  const { projects, blocked } = purgeableProjects(recheck.items);
  for (const i of purges.filter((p) => !projects.has(p.projectId))) {
    report.actions.push(record(i, 'skipped', `project ${i.projectId} not purged: ${blocked.get(i.projectId) ?? 'not due at the re-check'}`));
  }
  const byProject = new Map<string, PlanItem[]>();
  for (const i of purges.filter((p) => projects.has(p.projectId))) byProject.set(i.projectId, [...(byProject.get(i.projectId) ?? []), i]);
  for (const [projectId, items] of byProject) {
    try {
      const result = await purging.deleteProjectResources({ projectId });
      const failed = new Map(result.failed.map((f) => [f.id, f.message]));
      const kept = new Map((result.kept ?? []).map((f) => [f.id, f.message]));
      for (const i of items) {
        report.actions.push(failed.has(i.resourceId) ? record(i, 'failed', failed.get(i.resourceId))
          : kept.has(i.resourceId) ? record(i, 'skipped', kept.get(i.resourceId)) : record(i, 'done', 'project purged in dependency order'));
      }
      // What the cloud refused, planned or not (a volume still holding a snapshot, a port in use, …).
      for (const f of result.failed) report.problems.push(`purge of project ${projectId}: ${f.type} ${f.id} was not deleted: ${f.message}`);
    } catch (err) {
      for (const i of items) report.actions.push(record(i, 'failed', failureMessage(err)));
      report.problems.push(`purge of project ${projectId} failed: ${failureMessage(err)}`);
    }
  }
  await inBatches(act.filter((i) => i.action === 'unfeature'), async (i) => {
    const r = await acting.unfeatureImage({ imageId: i.resourceId });
    return record(i, r.outcome === 'unfeatured' ? 'done' : 'already-done', r.outcome === 'unfeatured' ? undefined : r.outcome);
  }, report.actions);
  return finish('completed');
}

function record(i: PlanItem, outcome: ActionRecord['outcome'], detail?: string): ActionRecord {
  return {
    resource: resourceRef(i), action: i.action as ActionRecord['action'], rule: i.rule, reason: i.reason, outcome,
    ...(detail ? { detail } : {}),
  };
}

/** Runs `fn` over `items` BATCH at a time; a failing item is recorded, not retried forever. */
async function inBatches(items: PlanItem[], fn: (i: PlanItem) => Promise<ActionRecord>, out: ActionRecord[]): Promise<void> {
  for (let start = 0; start < items.length; start += BATCH) {
    const batch = items.slice(start, start + BATCH);
    out.push(...(await Promise.all(batch.map((i) => fn(i).catch((err: unknown) => record(i, 'failed', failureMessage(err)))))));
  }
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  if (err instanceof ApplicationFailure || err instanceof Error) return err.message;
  return String(err);
}

function nowIso(): string {
  return new Date().toISOString();
}
