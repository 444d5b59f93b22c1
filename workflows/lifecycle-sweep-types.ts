// Plain-JSON inputs, outputs and memory of the `lifecycle` and `lifecycleSweep` workflows. No
// Temporal import: shared by the workflows, the CLI and the tests.
import type {
  ConfigExemption, EolEntry, LifecyclePolicies, NoticeRecord, PlanAction, ResourceType, RuleKind,
} from './lifecycle-types.js';

/** Task queue of every lifecycle workflow and activity. */
export const LIFECYCLE_TASK_QUEUE = 'stratus-lifecycle';
/** Workflow id of the one long-running lifecycle workflow. */
export const LIFECYCLE_WORKFLOW_ID = 'lifecycle';

/** What the lifecycle workflows need from the `lifecycle:` config (durations in ms). */
export interface LifecycleSettings {
  policies: LifecyclePolicies;
  eol: EolEntry[];
  /** Where allocations come from; absent: no allocation data (expire-allocation never fires). */
  allocations?: { file: string } | { url: string; tokenEnv?: string; timeoutMs: number };
  /** false: dry-run (plan and report, send nothing, change nothing). */
  enforce: boolean;
  maxActionsPerSweep: number;
  /** At most this percentage of the resources of one type per sweep (at least one is always allowed). */
  maxActionsPercent: number;
  /** `HH:MM` UTC of the daily sweep. */
  sweepAt: string;
  /** Whether notices can be sent (`lifecycle.notify` configured). */
  notify: boolean;
  /** Inventory page size (default 500). */
  pageSize?: number;
  /** How long a sweep over its caps waits for approval (default 24 h). */
  approvalTimeoutMs?: number;
}

/** An exemption added with `stratus lifecycle exempt` (the `exempt` update). */
export interface ExemptRequest {
  resourceId: string;
  /** `YYYY-MM-DD`: holds until the end of this day (UTC). */
  until: string;
  reason: string;
}

/** An exemption the lifecycle workflow remembers. */
export interface RememberedExemption extends ConfigExemption {
  until: string;
  /** ISO time it was added. */
  addedAt: string;
}

/** `plan`: list and plan only (the CLI's `lifecycle plan`); `sweep`: notify and act. */
export type SweepMode = 'plan' | 'sweep';

/** Input of `lifecycleSweep`. */
export interface LifecycleSweepInput {
  sweepId: string;
  mode: SweepMode;
  settings: LifecycleSettings;
  /** Notices already sent (remembered by the lifecycle workflow). */
  noticesSent: NoticeRecord[];
  /** Exemptions added by `exempt` updates (the config's own are in `settings.policies`). */
  exemptions: ConfigExemption[];
  /** Plan as of this ISO time instead of now (the daily sweep's scheduled time; any time when only planning). */
  at?: string;
  /** Overrides `settings.enforce` (the CLI's `sweep --enforce`). */
  enforce?: boolean;
}

/** A resource as the CLI prints it. */
export interface ResourceRef {
  type: ResourceType;
  id: string;
  name: string;
  project: string;
}

/** One item of `stratus lifecycle plan --json`. */
export interface PlanLine {
  resource: ResourceRef;
  action: Exclude<PlanAction, 'none'>;
  rule: RuleKind;
  reason: string;
  dueAt: string;
}

/** What happened to one destructive action. */
/** `not-visible`: the credential could not see the resource, so whether the action happened is unknown (counts as a failure). */
export type ActionOutcome = 'done' | 'already-done' | 'skipped' | 'failed' | 'not-visible' | 'dry-run' | 'not-approved';

export interface ActionRecord {
  resource: ResourceRef;
  action: 'shelve' | 'delete' | 'unfeature';
  rule: RuleKind;
  reason: string;
  outcome: ActionOutcome;
  /** Why it was skipped or failed, or what the cloud answered. */
  detail?: string;
}

/** How many destructive actions a sweep wants against its caps. */
export interface BlastRadius {
  destructive: number;
  maxActionsPerSweep: number;
  maxActionsPercent: number;
  byType: { type: ResourceType; due: number; total: number; limit: number }[];
  exceeded: boolean;
  /** In words, when exceeded. */
  reason?: string;
}

export type SweepStatus =
  | 'listing' | 'planning' | 'notifying' | 'awaiting-approval' | 'acting'
  | 'planned' | 'dry-run' | 'completed' | 'completed-with-failures' | 'not-approved' | 'failed';

/** Statuses a sweep ends in (or stops at, awaiting approval). */
export const FINAL_SWEEP_STATUSES: readonly SweepStatus[] = ['planned', 'dry-run', 'completed', 'completed-with-failures', 'not-approved', 'failed'];

/** The report of one sweep: returned by the sweep, kept by the lifecycle workflow. */
export interface SweepReport {
  sweepId: string;
  mode: SweepMode;
  enforce: boolean;
  status: SweepStatus;
  /** ISO time the plan was made for. */
  at: string;
  startedAt: string;
  finishedAt?: string;
  inventory: Record<string, number>;
  pages: number;
  problems: string[];
  /**
   * What the credential could not see and why (the missing role named), in words: a member
   * credential lists its own project only.
   */
  unseen?: string[];
  /** `plan` mode: every item a rule touches (no `none`). */
  plan?: PlanLine[];
  notices: { sent: NoticeRecord[]; due: number; unaddressed: number; failed: string[] };
  blastRadius?: BlastRadius;
  approvedBy?: string;
  actions: ActionRecord[];
  /** Why the sweep failed (bad input: nothing destructive was done). */
  error?: string;
  /** A readable summary. */
  summary: string;
}

/** What the lifecycle workflow carries across sweeps and continue-as-new. */
export interface LifecycleMemory {
  noticesSent: NoticeRecord[];
  exemptions: RememberedExemption[];
  /** The most recent reports, newest last. */
  reports: SweepReport[];
  sweeps: number;
}

/** Input of the `lifecycle` workflow. */
export interface LifecycleInput {
  settings: LifecycleSettings;
  memory?: LifecycleMemory;
}

/** The `status` query of `lifecycle`. */
export interface LifecycleStatus {
  enforce: boolean;
  sweepAt: string;
  nextSweepAt: string;
  running?: { sweepId: string };
  lastReport?: { sweepId: string; status: SweepStatus; at: string; summary: string };
  exemptions: RememberedExemption[];
  noticesRemembered: number;
  sweeps: number;
}

/** Input of the `sweepNow` update. */
export interface SweepNowRequest {
  enforce?: boolean;
}
