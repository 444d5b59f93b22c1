// The lifecycle planner: a pure function from (inventory, allocations, EOL table, policies,
// notices already sent, now) to a plan. No Temporal import, no clock, no I/O: the same input
// always gives the same plan, so the workflow can call it and tests can drive it over months.
//
// Safety story, enforced here and property-tested:
// - a destructive action (shelve, delete, unfeature) is only planned after the warning with the
//   smallest lead time has been sent, and never earlier than that lead time after it was sent
//   (missed warnings postpone the action instead of surprising anyone);
// - notices count only for the current episode (sent after the server entered its state, after
//   the allocation ended, after an exemption lapsed);
// - exempt resources, and resources with an unreadable exemption, get `none`;
// - unreadable dates never lead to an action: they are reported in `problems`.
import type {
  Allocation, AnnouncedEffect, ConfigExemption, EolEntry, ImageInfo, LifecycleRule,
  Plan, PlanInput, PlanItem, PortInfo, ResourceType, RuleKind, ServerInfo,
} from './lifecycle-types.js';
import { DELETION_ORDER } from './lifecycle-types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Server states each rule applies to when the config does not say. */
export const DEFAULT_STATES: Partial<Record<RuleKind, string[]>> = {
  'shelve-stopped': ['SHUTOFF', 'SUSPENDED'],
  'delete-shelved': ['SHELVED', 'SHELVED_OFFLOADED'],
};

/** Nova actions that put a server into a state: the latest one dates "in this state since". */
const ENTERED_BY: Record<string, string[]> = {
  SHUTOFF: ['stop'],
  SUSPENDED: ['suspend'],
  PAUSED: ['pause'],
  SHELVED: ['shelve'],
  SHELVED_OFFLOADED: ['shelve', 'shelveOffload'],
};

const STATE_WORDS: Record<string, string> = {
  SHUTOFF: 'stopped', SUSPENDED: 'suspended', PAUSED: 'paused', SHELVED: 'shelved', SHELVED_OFFLOADED: 'shelved',
};

/** Notice stage name for a warning lead time: `warn-7d`, `warn-12h`, `warn-30m`. */
export function stageName(leadMs: number): string {
  return `warn-${shortDuration(leadMs)}`;
}

/** `14d`, `12h`, `30m` (the largest unit that divides the duration). */
export function shortDuration(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  return `${Math.round(ms / MINUTE)}m`;
}

/** `14 days`, `1 day`, `12 hours`, `30 minutes`. */
export function durationInWords(ms: number): string {
  const [n, unit] = ms % DAY === 0 ? [ms / DAY, 'day'] : ms % HOUR === 0 ? [ms / HOUR, 'hour'] : [Math.round(ms / MINUTE), 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** True for the actions that change or remove a resource. */
export function isDestructive(action: PlanItem['action']): boolean {
  return action === 'shelve' || action === 'delete' || action === 'unfeature';
}

interface Stage { label: string; lead: number }

/** A resource a rule touches, before warnings and exemptions are applied. */
interface Candidate {
  type: ResourceType;
  id: string;
  name: string;
  projectId: string;
  rule: LifecycleRule;
  /** `null`: notices only (dependants of EOL or expiring images). */
  action: 'shelve' | 'delete' | 'unfeature' | null;
  effect: AnnouncedEffect;
  /** Nominal due time of the action (or of the effect announced). */
  due: number;
  /** Notices sent before this time belong to an earlier episode and do not count. */
  validFrom: number;
  /** The candidate shows up in the plan from this time on. */
  visibleFrom: number;
  why: string;
  recipients: string[];
  metadata?: Record<string, string>;
  image?: { id: string; name: string };
  /** Extra stages after the warnings (the `eol` notice to dependants, lead 0). */
  finalStage?: string;
}

/** Makes the plan. Throws only when `now` itself is not a time. */
export function plan(input: PlanInput): Plan {
  const now = parseTime(input.now);
  if (Number.isNaN(now)) throw new Error(`plan: now "${input.now}" is not an ISO time`);
  const ctx = new Context(input, now);
  for (const rule of input.policies.rules) {
    switch (rule.kind) {
      case 'shelve-stopped':
      case 'delete-shelved':
        serverStateRule(ctx, rule);
        break;
      case 'expire-allocation':
        expireAllocationRule(ctx, rule);
        break;
      case 'retire-eol-images':
        retireEolRule(ctx, rule);
        break;
      case 'warn-image-dependants':
        imageDependantsRule(ctx, rule);
        break;
    }
  }
  // Sort on one precomputed key (decorate-sort-undecorate): large clouds have 100,000s of items.
  const ranks = new Map(DELETION_ORDER.map((t, i) => [t, String.fromCharCode(65 + i)]));
  const keyed = ctx.items.map((i) => ({ key: `${i.projectId}\u0000${ranks.get(i.resourceType)}\u0000${i.resourceId}\u0000${i.rule}\u0000${i.action}`, i }));
  const items = keyed.sort((a, b) => cmp(a.key, b.key)).map((k) => k.i);
  return { now: new Date(now).toISOString(), items, problems: [...new Set(ctx.problems)].sort(cmp) };
}

class Context {
  readonly items: PlanItem[] = [];
  readonly problems: string[] = [];
  private readonly notices = new Map<string, number[]>();
  private readonly allocations = new Map<string, Allocation>();
  private readonly projectContacts = new Map<string, string>();
  private readonly projectNames = new Map<string, string>();
  private readonly exemptions = new Map<string, ConfigExemption[]>();

  constructor(readonly input: PlanInput, readonly now: number) {
    for (const n of input.noticesSent) {
      const t = parseTime(n.sentAt);
      if (Number.isNaN(t)) continue;
      const key = noticeKey(n.resourceId, n.rule, n.stage);
      const list = this.notices.get(key);
      if (list) list.push(t); else this.notices.set(key, [t]);
    }
    for (const p of input.inventory.projects ?? []) {
      this.projectNames.set(p.id, p.name);
      if (p.contactEmail) this.projectContacts.set(p.id, p.contactEmail);
    }
    for (const a of input.allocations) {
      this.allocations.set(a.projectId, a);
      if (a.contactEmail) this.projectContacts.set(a.projectId, a.contactEmail);
    }
    for (const e of input.policies.exempt) {
      const list = this.exemptions.get(e.id);
      if (list) list.push(e); else this.exemptions.set(e.id, [e]);
    }
  }

  get inventory(): PlanInput['inventory'] { return this.input.inventory; }

  projectLabel(projectId: string): string {
    const name = this.projectNames.get(projectId);
    return name ? `${name} (${projectId})` : projectId;
  }

  recipients(projectId: string, owner?: string): string[] {
    const list = [owner, this.projectContacts.get(projectId)].filter((x): x is string => !!x);
    return [...new Set(list)].sort(cmp);
  }

  /** End of the project's allocation in ms, or undefined when there is none (or it is unreadable). */
  allocationEnd(projectId: string): number | undefined {
    const a = this.allocations.get(projectId);
    if (!a) return undefined;
    const t = parseTime(a.endDate);
    if (Number.isNaN(t)) {
      this.problems.push(`allocation of project ${projectId}: endDate "${a.endDate}" is not a date; project skipped`);
      return undefined;
    }
    return t;
  }

  /**
   * Exemption of a resource (config by resource or project id, then metadata), as words,
   * or the time the latest exemption lapsed (notices before it do not count).
   */
  exemption(c: Candidate): { reason?: string; lapsedAt: number } {
    let lapsedAt = -Infinity;
    for (const e of [...(this.exemptions.get(c.id) ?? []), ...(this.exemptions.get(c.projectId) ?? [])]) {
      const scope = e.id === c.id ? '' : ` (project ${c.projectId})`;
      if (e.until === undefined) return { reason: `exempt in config${scope}: ${e.reason}`, lapsedAt };
      const end = endOfDay(e.until);
      if (Number.isNaN(end) || end > this.now) {
        return { reason: `exempt in config${scope} until ${e.until}: ${e.reason}`, lapsedAt };
      }
      lapsedAt = Math.max(lapsedAt, end);
    }
    const key = this.input.policies.exemptMetadataKey;
    const value = c.metadata?.[key];
    if (value === undefined) return { lapsedAt };
    const v = value.trim();
    if (v === 'forever') return { reason: `exempt by metadata ${key}=forever`, lapsedAt };
    const m = /^until:(\d{4}-\d{2}-\d{2})$/.exec(v);
    const end = m ? endOfDay(m[1]) : NaN;
    if (Number.isNaN(end)) {
      this.problems.push(`${c.type} ${c.id}: ${key}="${value}" is neither "forever" nor "until:YYYY-MM-DD"; treated as exempt`);
      return { reason: `exempt: unreadable ${key}="${value}" is treated as an exemption`, lapsedAt };
    }
    if (end > this.now) return { reason: `exempt by metadata ${key}=${v}`, lapsedAt };
    return { lapsedAt: Math.max(lapsedAt, end) };
  }

  private readonly stageCache = new Map<LifecycleRule, Map<string, Stage[]>>();

  /** Warning stages of a rule, largest lead first, plus an optional final stage (lead 0). */
  stagesOf(rule: LifecycleRule, finalStage = ''): Stage[] {
    let byFinal = this.stageCache.get(rule);
    if (!byFinal) this.stageCache.set(rule, byFinal = new Map());
    let stages = byFinal.get(finalStage);
    if (!stages) {
      stages = [...new Set(rule.warn)].filter((l) => l > 0).sort((a, b) => b - a).map((lead) => ({ label: stageName(lead), lead }));
      if (finalStage) stages.push({ label: finalStage, lead: 0 });
      byFinal.set(finalStage, stages);
    }
    return stages;
  }

  /** Latest valid send time of a notice stage for this candidate's episode. */
  sentAt(c: Candidate, stage: string, validFrom: number): number | undefined {
    const times = this.notices.get(noticeKey(c.id, c.rule.kind, stage));
    let best: number | undefined;
    for (const t of times ?? []) if (t >= validFrom && (best === undefined || t > best)) best = t;
    return best;
  }

  private push(c: Candidate, action: PlanItem['action'], reason: string, dueAt: number, due: boolean,
    stage?: string, announces?: PlanItem['announces']): void {
    const item: PlanItem = {
      resourceType: c.type, resourceId: c.id, resourceName: c.name, projectId: c.projectId, action, rule: c.rule.kind,
      reason, dueAt: iso(dueAt), due, recipients: c.recipients,
    };
    if (stage !== undefined) item.stage = stage;
    if (announces !== undefined) item.announces = announces;
    this.items.push(item);
  }

  /** Turns a candidate into at most one plan item: the next notice, the action, or `none`. */
  schedule(c: Candidate): void {
    if (this.now < c.visibleFrom) return;
    const ex = this.exemption(c);
    if (ex.reason) {
      this.push(c, 'none', `${c.why}; ${ex.reason}`, c.due, false);
      return;
    }
    const validFrom = Math.max(c.validFrom, ex.lapsedAt);
    const stages = this.stagesOf(c.rule, c.finalStage);
    let due = c.due;
    let lastSent = -1;
    let pushedBy: { stage: Stage; at: number } | undefined;
    stages.forEach((s, i) => {
      const at = this.sentAt(c, s.label, validFrom);
      if (at === undefined) return;
      lastSent = i;
      // Only a real action waits for its warnings; a notice-only effect (an image going away) does not.
      if (c.action && at + s.lead > due) { due = at + s.lead; pushedBy = { stage: s, at }; }
    });
    if (lastSent === stages.length - 1) {
      if (!c.action) return; // every notice sent; nothing left to do
      const postponed = pushedBy && day(due) !== day(c.due)
        ? `; postponed to ${day(due)} so that the ${durationInWords(pushedBy.stage.lead)} warning sent on ${day(pushedBy.at)} comes in full`
        : '';
      this.push(c, c.action, c.why + postponed, due, due <= this.now);
      return;
    }
    const remaining = stages.slice(lastSent + 1);
    const overdue = remaining.filter((s) => due - s.lead <= this.now);
    const next = overdue.length > 0 ? overdue[overdue.length - 1] : remaining[0];
    const sendAt = due - next.lead;
    const effectAt = c.action ? Math.max(due, Math.max(sendAt, this.now) + next.lead) : due;
    const skipped = overdue.length > 1 ? ` (the earlier ${overdue.length - 1 === 1 ? 'warning was' : 'warnings were'} missed)` : '';
    const what = next.lead === 0
      ? `notice that ${effectWords(c.effect)} since ${day(effectAt)}`
      : `${durationInWords(next.lead)} warning before ${c.effect === 'image-deleted' || c.effect === 'image-eol' ? 'the image is ' : ''}${effectVerb(c.effect)} on ${day(effectAt)}${skipped}`;
    const announces: NonNullable<PlanItem['announces']> = c.image
      ? { effect: c.effect, at: iso(effectAt), image: c.image }
      : { effect: c.effect, at: iso(effectAt) };
    this.push(c, 'notify', `${c.why}; ${what}`, sendAt, sendAt <= this.now, next.label, announces);
  }
}

function serverStateRule(ctx: Context, rule: LifecycleRule): void {
  const states = new Set(rule.states ?? DEFAULT_STATES[rule.kind] ?? []);
  const action = rule.kind === 'shelve-stopped' ? 'shelve' : 'delete';
  for (const s of ctx.inventory.servers) {
    if (!states.has(s.status)) continue;
    const since = stateSince(s);
    if ('problem' in since) { ctx.problems.push(since.problem); continue; }
    const days = Math.floor((ctx.now - since.at) / DAY);
    const word = STATE_WORDS[s.status] ?? s.status.toLowerCase();
    const why = `${word} since ${day(since.at)} (${days} day${days === 1 ? '' : 's'}, from ${since.source}) — rule ${rule.kind} ${action}s after ${durationInWords(rule.after)}`;
    ctx.schedule({
      type: 'server', id: s.id, name: s.name, projectId: s.projectId, rule, action, effect: action,
      due: since.at + rule.after, validFrom: since.at, visibleFrom: since.at, why,
      recipients: ctx.recipients(s.projectId, s.ownerEmail), metadata: s.metadata,
    });
  }
}

/** When the server entered its current state: its action log, else its `updated` time. */
export function stateSince(s: ServerInfo): { at: number; source: 'the instance action log' | 'the last update' } | { problem: string } {
  const updated = parseTime(s.updated);
  if (Number.isNaN(updated)) return { problem: `server ${s.id}: updated "${s.updated}" is not a time; skipped` };
  const actions = (s.lastActions ?? [])
    .map((a) => ({ action: a.action, at: parseTime(a.startTime) }))
    .filter((a) => !Number.isNaN(a.at))
    .sort((a, b) => a.at - b.at || cmp(a.action, b.action));
  if (actions.length === 0) return { at: updated, source: 'the last update' };
  const entering = ENTERED_BY[s.status] ?? [];
  let i = actions.length - 1;
  if (!entering.includes(actions[i].action)) {
    // The log does not explain the state (e.g. a shutdown from inside the guest): be conservative.
    return { at: Math.max(updated, actions[i].at), source: 'the last update' };
  }
  // Shelving then offloading is one episode that started with the shelve.
  while (i > 0 && actions[i].action === 'shelveOffload' && actions[i - 1].action === 'shelve') i--;
  return { at: actions[i].at, source: 'the instance action log' };
}

function expireAllocationRule(ctx: Context, rule: LifecycleRule): void {
  const ends = new Map<string, number | undefined>();
  const ended = (projectId: string): boolean => {
    if (!ends.has(projectId)) ends.set(projectId, ctx.allocationEnd(projectId));
    const end = ends.get(projectId);
    return end !== undefined && end <= ctx.now;
  };
  const inv = ctx.inventory;
  const portProject = ownerOfPorts(inv);
  const owned: { type: ResourceType; id: string; name: string; projectId: string; owner?: string; metadata?: Record<string, string> }[] = [
    ...inv.floatingIps.filter((f) => ended(f.projectId)).map((f) => ({ type: 'floating-ip' as const, id: f.id, name: f.address, projectId: f.projectId })),
    ...inv.servers.filter((s) => ended(s.projectId)).map((s) => ({ type: 'server' as const, id: s.id, name: s.name, projectId: s.projectId, owner: s.ownerEmail, metadata: s.metadata })),
    ...(inv.volumeSnapshots ?? []).filter((v) => ended(v.projectId)).map((v) => ({ type: 'volume-snapshot' as const, id: v.id, name: v.name, projectId: v.projectId })),
    ...inv.volumes.filter((v) => ended(v.projectId)).map((v) => ({ type: 'volume' as const, id: v.id, name: v.name, projectId: v.projectId, metadata: v.metadata })),
    ...inv.images.filter((i) => ended(i.ownerProjectId)).map((i) => ({ type: 'image' as const, id: i.id, name: i.name, projectId: i.ownerProjectId, metadata: i.properties })),
    ...inv.routers.filter((r) => ended(r.projectId)).map((r) => ({ type: 'router' as const, id: r.id, name: r.name, projectId: r.projectId })),
    ...inv.ports.map((p) => ({ p, projectId: portProject(p) })).filter((x) => ended(x.projectId)).map(({ p, projectId }) => ({ type: 'port' as const, id: p.id, name: p.name, projectId })),
    ...(inv.securityGroups ?? []).filter((g) => ended(g.projectId)).map((g) => ({ type: 'security-group' as const, id: g.id, name: g.name, projectId: g.projectId })),
    ...inv.networks.filter((n) => ended(n.projectId)).map((n) => ({ type: 'network' as const, id: n.id, name: n.name, projectId: n.projectId })),
    ...inv.containers.filter((c) => ended(c.projectId)).map((c) => ({ type: 'container' as const, id: `${c.projectId}/${c.name}`, name: c.name, projectId: c.projectId })),
  ];
  const whys = new Map<string, string>();
  for (const r of owned) {
    const end = ends.get(r.projectId)!;
    const ago = Math.floor((ctx.now - end) / DAY);
    const why = whys.get(r.projectId) ?? `allocation of project ${ctx.projectLabel(r.projectId)} ended on ${day(end)} (${ago} day${ago === 1 ? '' : 's'} ago) — rule expire-allocation deletes a project's resources ${durationInWords(rule.after)} after its allocation ends`;
    whys.set(r.projectId, why);
    ctx.schedule({
      ...r, rule, action: 'delete', effect: 'delete', due: end + rule.after, validFrom: end, visibleFrom: end, why,
      recipients: ctx.recipients(r.projectId, r.owner),
    });
  }
}

/**
 * The project a port belongs to. Neutron's own router-gateway and floating-IP ports carry
 * `project_id: ""`: they belong to their router's or floating IP's project (and go with it); any
 * other project-less port to its network's project.
 */
export function ownerOfPorts(inv: PlanInput['inventory']): (port: PortInfo) => string {
  const routers = new Map(inv.routers.map((r) => [r.id, r.projectId]));
  const fips = new Map(inv.floatingIps.map((f) => [f.id, f.projectId]));
  const networks = new Map(inv.networks.map((n) => [n.id, n.projectId]));
  return (port) => {
    if (port.projectId) return port.projectId;
    const byDevice = port.deviceOwner === 'network:router_gateway' ? routers.get(port.deviceId ?? '')
      : port.deviceOwner === 'network:floatingip' ? fips.get(port.deviceId ?? '') : undefined;
    return byDevice ?? networks.get(port.networkId) ?? '';
  };
}

function retireEolRule(ctx: Context, rule: LifecycleRule): void {
  const byDistro = new Map<string, EolEntry[]>();
  for (const e of ctx.input.eol) {
    const k = e.distro.toLowerCase();
    byDistro.set(k, [...(byDistro.get(k) ?? []), e]);
  }
  const eolImages = new Map<string, { image: ImageInfo; entry: EolEntry; due: number }>();
  for (const image of ctx.inventory.images) {
    // A server's snapshot (the `-shelved` image) inherits its base image's properties, featured and
    // os_* included, but it is not an image of its own: it goes with its server.
    if (image.snapshotOf) continue;
    const distro = image.osDistro ?? image.properties.os_distro;
    const version = image.osVersion ?? image.properties.os_version;
    if (!distro || !version) continue;
    const entry = (byDistro.get(distro.toLowerCase()) ?? [])
      .filter((e) => version === e.version || version.startsWith(`${e.version}.`))
      .sort((a, b) => b.version.length - a.version.length)[0];
    if (!entry) continue;
    const eol = parseTime(entry.eolDate);
    if (Number.isNaN(eol)) { ctx.problems.push(`eol ${entry.distro} ${entry.version}: "${entry.eolDate}" is not a date`); continue; }
    eolImages.set(image.id, { image, entry, due: eol + rule.after });
  }
  const maxLead = Math.max(0, ...rule.warn);
  const eolWords = (e: EolEntry): string => `${e.distro} ${e.version}, end of life on ${e.eolDate}`;
  const dependant = (base: { type: ResourceType; id: string; name: string; projectId: string; owner?: string; metadata?: Record<string, string> },
    src: { image: ImageInfo; entry: EolEntry; due: number }, how: string): void => {
    ctx.schedule({
      ...base, rule, action: null, effect: 'image-eol', due: src.due, validFrom: -Infinity, visibleFrom: src.due - maxLead,
      why: `${how} image ${src.image.name} (${src.image.id}) runs ${eolWords(src.entry)} — rule retire-eol-images asks owners to migrate`,
      recipients: ctx.recipients(base.projectId, base.owner), image: { id: src.image.id, name: src.image.name }, finalStage: 'eol',
    });
  };
  for (const src of eolImages.values()) {
    const { image } = src;
    const base = { type: 'image' as const, id: image.id, name: image.name, projectId: image.ownerProjectId, metadata: image.properties };
    if (image.featured) {
      ctx.schedule({
        ...base, rule, action: 'unfeature', effect: 'unfeature', due: src.due, validFrom: -Infinity, visibleFrom: src.due - maxLead,
        why: `runs ${eolWords(src.entry)} — rule retire-eol-images removes it from the featured list ${rule.after === 0 ? 'at end of life' : `${durationInWords(rule.after)} after end of life`}`,
        recipients: ctx.recipients(image.ownerProjectId),
      });
    } else {
      dependant(base, src, 'this');
    }
  }
  for (const s of ctx.inventory.servers) {
    const src = s.imageId ? eolImages.get(s.imageId) : undefined;
    if (src) dependant({ type: 'server', id: s.id, name: s.name, projectId: s.projectId, owner: s.ownerEmail, metadata: s.metadata }, src, 'built on');
  }
  for (const i of ctx.inventory.images) {
    const src = i.properties.base_image_ref ? eolImages.get(i.properties.base_image_ref) : undefined;
    if (src && !eolImages.has(i.id) && !i.snapshotOf) dependant({ type: 'image', id: i.id, name: i.name, projectId: i.ownerProjectId, metadata: i.properties }, src, 'built on');
  }
}

function imageDependantsRule(ctx: Context, rule: LifecycleRule): void {
  const expire = ctx.input.policies.rules.find((r) => r.kind === 'expire-allocation');
  const after = expire?.after ?? rule.after;
  const maxLead = Math.max(0, ...rule.warn);
  const expiring = new Map<string, { image: ImageInfo; end: number }>();
  for (const image of ctx.inventory.images) {
    if (image.visibility === 'private' || image.snapshotOf) continue;
    const end = ctx.allocationEnd(image.ownerProjectId);
    if (end === undefined) continue;
    if (ctx.exemption(imageCandidateStub(image, rule)).reason) continue; // an exempt image is not deleted
    expiring.set(image.id, { image, end });
  }
  const warn = (base: { type: ResourceType; id: string; name: string; projectId: string; owner?: string; metadata?: Record<string, string> },
    src: { image: ImageInfo; end: number }): void => {
    if (base.projectId === src.image.ownerProjectId) return; // the owner hears about it from expire-allocation
    const due = src.end + after;
    ctx.schedule({
      ...base, rule, action: null, effect: 'image-deleted', due, validFrom: src.end, visibleFrom: Math.min(src.end, due - maxLead),
      why: `built on image ${src.image.name} (${src.image.id}) of project ${ctx.projectLabel(src.image.ownerProjectId)}, whose allocation ended on ${day(src.end)} — the image is deleted on ${day(due)}`,
      recipients: ctx.recipients(base.projectId, base.owner), image: { id: src.image.id, name: src.image.name },
    });
  };
  for (const s of ctx.inventory.servers) {
    const src = s.imageId ? expiring.get(s.imageId) : undefined;
    if (src) warn({ type: 'server', id: s.id, name: s.name, projectId: s.projectId, owner: s.ownerEmail, metadata: s.metadata }, src);
  }
  for (const i of ctx.inventory.images) {
    const src = i.properties.base_image_ref && !i.snapshotOf ? expiring.get(i.properties.base_image_ref) : undefined;
    if (src) warn({ type: 'image', id: i.id, name: i.name, projectId: i.ownerProjectId, metadata: i.properties }, src);
  }
}

function imageCandidateStub(image: ImageInfo, rule: LifecycleRule): Candidate {
  return {
    type: 'image', id: image.id, name: image.name, projectId: image.ownerProjectId, rule, action: 'delete', effect: 'delete',
    due: 0, validFrom: 0, visibleFrom: 0, why: '', recipients: [], metadata: image.properties,
  };
}

function effectVerb(e: AnnouncedEffect): string {
  switch (e) {
    case 'shelve': return 'shelving';
    case 'delete': return 'deletion';
    case 'unfeature': return 'removal from the featured list';
    case 'image-eol': return 'past its end of life';
    case 'image-deleted': return 'deleted';
  }
}

function effectWords(e: AnnouncedEffect): string {
  return e === 'image-deleted' ? 'the image is deleted' : 'the image is past its end of life';
}

function noticeKey(resourceId: string, rule: string, stage: string): string {
  return `${resourceId}\u0000${rule}\u0000${stage}`;
}

/** End of a `YYYY-MM-DD` day (UTC), i.e. the next midnight. */
function endOfDay(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return NaN;
  const t = parseTime(date);
  return Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== date ? NaN : t + DAY;
}

/** Milliseconds of an ISO time or date; a time without a zone is UTC (Nova omits the `Z`). */
export function parseTime(value: string): number {
  const v = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
  return Date.parse(v);
}

// Date formatting dominates planning time for large clouds; days repeat, so cache them.
const dayCache = new Map<number, string>();

function day(t: number): string {
  const n = Math.floor(t / DAY);
  let s = dayCache.get(n);
  if (s === undefined) {
    s = new Date(n * DAY).toISOString().slice(0, 10);
    if (dayCache.size > 100_000) dayCache.clear();
    dayCache.set(n, s);
  }
  return s;
}

function iso(t: number): string {
  if (!Number.isFinite(t) || t < 0 || t >= 253402300800000) return new Date(t).toISOString();
  const ms = t - Math.floor(t / DAY) * DAY;
  const pad = (v: number, w = 2): string => String(v).padStart(w, '0');
  return `${day(t)}T${pad(Math.floor(ms / HOUR))}:${pad(Math.floor(ms / MINUTE) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}Z`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
