// Pure helpers of the lifecycle workflows: merging inventory pages, the blast-radius check, which
// items are still due at the re-check, sweep ids and times, and the readable summary. No Temporal
// import, no clock: unit-testable and bundle-safe.
import type { Inventory, PlanItem, ResourceType, RuleKind } from './lifecycle-types.js';
import type {
  ActionRecord, BlastRadius, LifecycleSettings, PlanLine, ResourceRef, SweepReport,
} from './lifecycle-sweep-types.js';

const DAY = 86_400_000;

export const emptyInventory = (): Inventory => ({
  servers: [], images: [], volumes: [], floatingIps: [], networks: [], routers: [], ports: [], containers: [],
});

/** Appends one page of inventory to another (in place). */
export function mergeInventory(into: Inventory, page: Inventory): void {
  into.servers.push(...page.servers);
  into.images.push(...page.images);
  into.volumes.push(...page.volumes);
  into.floatingIps.push(...page.floatingIps);
  into.networks.push(...page.networks);
  into.routers.push(...page.routers);
  into.ports.push(...page.ports);
  into.containers.push(...page.containers);
  if (page.volumeSnapshots) into.volumeSnapshots = [...(into.volumeSnapshots ?? []), ...page.volumeSnapshots];
  if (page.securityGroups) into.securityGroups = [...(into.securityGroups ?? []), ...page.securityGroups];
  for (const u of page.unseen ?? []) {
    into.unseen ??= [];
    if (!into.unseen.some((x) => x.kind === u.kind && x.projects === u.projects)) into.unseen.push(u);
  }
  if (page.projects) into.projects = [...(into.projects ?? []), ...page.projects];
}

export type ListedKind = 'servers' | 'images' | 'volumes' | 'floatingIps' | 'networks' | 'routers' | 'ports' | 'volumeSnapshots' | 'securityGroups';

/**
 * The kinds of resource the rules look at: servers always, images for the image rules and
 * expiry, the rest of a project's resources only for expire-allocation. `withDependants` (new
 * sweeps) adds volume snapshots and security groups, which a purge deletes too.
 */
export function kindsFor(rules: RuleKind[], withDependants = false): ListedKind[] {
  const kinds: ListedKind[] = ['servers'];
  if (rules.some((r) => r === 'expire-allocation' || r === 'retire-eol-images' || r === 'warn-image-dependants')) kinds.push('images');
  if (rules.includes('expire-allocation')) kinds.push('volumes', 'floatingIps', 'networks', 'routers', 'ports');
  if (withDependants && rules.includes('expire-allocation')) kinds.push('volumeSnapshots', 'securityGroups');
  return kinds;
}

/** Projects whose allocation has ended by `at`: their Swift accounts are listed (Swift cannot list accounts). */
export function endedProjects(allocations: { projectId: string; endDate: string }[], at: string): string[] {
  const now = Date.parse(at);
  const ended = allocations.filter((a) => {
    const end = Date.parse(/T/.test(a.endDate) ? a.endDate : `${a.endDate}T00:00:00Z`);
    return !Number.isNaN(end) && end <= now;
  });
  return [...new Set(ended.map((a) => a.projectId))].sort();
}

/**
 * What the credential could not see, in words for the report: each kind listed for its own
 * project only, and each ended-allocation project whose resources are therefore out of sight.
 */
export function unseenLines(inv: Inventory, endedProjectIds: string[]): string[] {
  const lines: string[] = [];
  const byReason = new Map<string, { projects: string; kinds: string[] }>();
  for (const u of inv.unseen ?? []) {
    const key = `${u.projects}\u0000${u.reason}`;
    const entry = byReason.get(key) ?? { projects: u.projects, kinds: [] };
    entry.kinds.push(u.kind);
    byReason.set(key, entry);
  }
  for (const [key, e] of byReason) lines.push(`not visible to this credential: ${e.kinds.join(', ')} of ${e.projects} — ${key.split('\u0000')[1]}`);
  const own = (inv.unseen ?? []).map((u) => /^every project but (.+)$/.exec(u.projects)?.[1]).find((p): p is string => !!p);
  if (own) {
    const hidden = endedProjectIds.filter((p) => p !== own);
    const reason = inv.unseen?.find((u) => u.projects === `every project but ${own}`)?.reason ?? '';
    if (hidden.length > 0) lines.push(`not visible to this credential: the resources of project${hidden.length === 1 ? '' : 's'} ${hidden.join(', ')}, whose allocation ended, so they are neither planned nor purged — ${reason}`);
  }
  return lines;
}

/** True when the sweep did something wrong or could not tell: a failed or not-visible action, or a failed notice. */
export function hasFailures(r: Pick<SweepReport, 'actions' | 'notices'>): boolean {
  return r.actions.some((a) => a.outcome === 'failed' || a.outcome === 'not-visible') || r.notices.failed.length > 0;
}

/** Resources per planner type. */
export function inventoryCounts(inv: Inventory): Record<ResourceType, number> {
  return {
    'floating-ip': inv.floatingIps.length, server: inv.servers.length, volume: inv.volumes.length, image: inv.images.length,
    router: inv.routers.length, port: inv.ports.length, network: inv.networks.length, container: inv.containers.length,
    'volume-snapshot': inv.volumeSnapshots?.length ?? 0, 'security-group': inv.securityGroups?.length ?? 0,
  };
}

export const resourceRef = (i: PlanItem): ResourceRef => ({ type: i.resourceType, id: i.resourceId, name: i.resourceName, project: i.projectId });

/** Plan items as `stratus lifecycle plan --json` prints them (no `none`). */
export function planLines(items: PlanItem[]): PlanLine[] {
  return items.flatMap((i) => (i.action === 'none' ? [] : [{ resource: resourceRef(i), action: i.action, rule: i.rule, reason: i.reason, dueAt: i.dueAt }]));
}

/** Identity of a destructive item across plans. */
export const itemKey = (i: PlanItem): string => `${i.resourceType}\u0000${i.resourceId}\u0000${i.rule}\u0000${i.action}`;

/**
 * Checks the destructive items against `maxActionsPerSweep` and `maxActionsPercent` (per
 * resource type, never less than one action of a type).
 */
export function blastRadius(items: PlanItem[], inventory: Inventory, s: Pick<LifecycleSettings, 'maxActionsPerSweep' | 'maxActionsPercent'>): BlastRadius {
  const totals = inventoryCounts(inventory);
  const due = new Map<ResourceType, number>();
  for (const i of items) due.set(i.resourceType, (due.get(i.resourceType) ?? 0) + 1);
  const byType = [...due].map(([type, n]) => {
    const total = Math.max(totals[type], n);
    return { type, due: n, total, limit: Math.max(1, Math.floor((total * s.maxActionsPercent) / 100)) };
  }).sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  const reasons: string[] = [];
  if (items.length > s.maxActionsPerSweep) reasons.push(`${items.length} destructive actions is more than maxActionsPerSweep (${s.maxActionsPerSweep})`);
  for (const t of byType) {
    if (t.due > t.limit) {
      reasons.push(`${t.due} of ${t.total} ${t.type}s (${Math.round((t.due / t.total) * 100)}%) is more than maxActionsPercent (${s.maxActionsPercent}%, at most ${t.limit})`);
    }
  }
  return {
    destructive: items.length, maxActionsPerSweep: s.maxActionsPerSweep, maxActionsPercent: s.maxActionsPercent, byType,
    exceeded: reasons.length > 0, ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
  };
}

/**
 * The projects a sweep may purge: those with due expire-allocation deletes where no other
 * expire-allocation item of the project (exempt, not yet due, still being warned) says otherwise.
 */
export function purgeableProjects(recheck: PlanItem[]): { projects: Set<string>; blocked: Map<string, string> } {
  const projects = new Set<string>();
  const blocked = new Map<string, string>();
  for (const i of recheck) {
    if (i.rule !== 'expire-allocation') continue;
    if (i.action === 'delete' && i.due) projects.add(i.projectId);
    else if (!blocked.has(i.projectId)) {
      blocked.set(i.projectId, i.action === 'none' ? `${i.resourceType} ${i.resourceId} is exempt (${i.reason})` : `${i.resourceType} ${i.resourceId} is not due yet (${i.action} due ${i.dueAt})`);
    }
  }
  for (const p of blocked.keys()) projects.delete(p);
  return { projects, blocked };
}

/** Next `HH:MM` UTC strictly after `nowMs`. */
export function nextSweepTime(nowMs: number, sweepAt: string): number {
  const [h, m] = sweepAt.split(':').map(Number);
  const midnight = Math.floor(nowMs / DAY) * DAY;
  const today = midnight + h * 3_600_000 + m * 60_000;
  return today > nowMs ? today : today + DAY;
}

/** `lifecycle-sweep-20250315` for the daily sweep, `…-20250315-101500` for one on demand. */
export function sweepIdFor(atMs: number, onDemand: boolean): string {
  const iso = new Date(atMs).toISOString();
  const day = iso.slice(0, 10).replace(/-/g, '');
  return onDemand ? `lifecycle-sweep-${day}-${iso.slice(11, 19).replace(/:/g, '')}` : `lifecycle-sweep-${day}`;
}

/** The readable summary of a report. */
export function summarize(r: Omit<SweepReport, 'summary'>): string {
  const lines: string[] = [];
  const counts = Object.entries(r.inventory).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing';
  const mode = r.mode === 'plan' ? 'plan' : r.enforce ? 'sweep' : 'dry-run sweep';
  lines.push(`${mode} ${r.sweepId} at ${r.at}: ${r.status}`);
  lines.push(`  inventory: ${counts} (${r.pages} page${r.pages === 1 ? '' : 's'})`);
  if (r.error) lines.push(`  error: ${r.error} (nothing destructive was done)`);
  if (r.plan) lines.push(`  plan: ${r.plan.length} item${r.plan.length === 1 ? '' : 's'}`);
  if (r.mode === 'sweep') {
    const n = r.notices;
    lines.push(`  notices: ${n.sent.length} sent of ${n.due} due${n.unaddressed ? `, ${n.unaddressed} without a recipient` : ''}${n.failed.length ? `, ${n.failed.length} failed` : ''}`);
  }
  if (r.blastRadius?.exceeded) lines.push(`  over the caps: ${r.blastRadius.reason}${r.approvedBy ? ` — approved by ${r.approvedBy}` : ''}`);
  const byOutcome = new Map<string, ActionRecord[]>();
  for (const a of r.actions) byOutcome.set(a.outcome, [...(byOutcome.get(a.outcome) ?? []), a]);
  for (const [outcome, list] of byOutcome) {
    lines.push(`  ${outcome}: ${list.length}`);
    for (const a of list.slice(0, 20)) {
      lines.push(`    ${a.action} ${a.resource.type} ${a.resource.name} (${a.resource.id}, project ${a.resource.project}) — ${a.rule}${a.detail ? `: ${a.detail}` : ''}`);
    }
    if (list.length > 20) lines.push(`    … and ${list.length - 20} more`);
  }
  for (const u of r.unseen ?? []) lines.push(`  ${u}`);
  for (const p of r.problems.slice(0, 10)) lines.push(`  problem: ${p}`);
  if (r.problems.length > 10) lines.push(`  … and ${r.problems.length - 10} more problems`);
  return lines.join('\n');
}
