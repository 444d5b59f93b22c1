// Plain-JSON input, state and status of the release train workflow, and the pure helpers that
// build the input from the `release:` config and plan what a train will do (the CLI's dry run).
// No Temporal import: the CLI, the tests and the workflow share these.
import type { ReleaseConfig } from '../config/release.js';
import { computeCalendar, slotsBetween, type Phase, type ReleaseCalendar, type SprintSpec, type TrickleDownCadence } from './release-calendar.js';
import { generateCodename, releaseBranchName, releaseTagName, renderTagMessage, targetBranch, validateVersion, type ReleaseTarget } from './release-names.js';

/** The task queue release trains run on. */
export const RELEASE_TASK_QUEUE = 'stratus-release';

/** The workflow id of train N: `release-v<N>`. */
export function releaseWorkflowId(version: number | string): string {
  return `release-v${validateVersion(version)}`;
}

/** One repo of a train: its configured name (the worker knows its URL), target and GitHub slug. */
export interface TrainRepo {
  name: string;
  target: ReleaseTarget;
  /** "owner/repo" when the repo is on GitHub. */
  github?: string;
}

/**
 * How trickle-down merges and the merge-back reach master: 'push' pushes the merge; 'pull-request'
 * opens a pull request from a throw-away branch and waits for it to be merged; 'auto' pushes, and
 * opens a pull request when the origin refuses the push because master is protected.
 */
export type MergeVia = 'push' | 'pull-request' | 'auto';

/**
 * The slice of the `release:` config a train needs. Plain JSON and free of secrets: no URLs
 * (they may carry credentials), no tokens; activities get those from the worker.
 */
export interface TrainConfig {
  masterBranch: string;
  sprints: SprintSpec[];
  trickleDown: TrickleDownCadence;
  /** UTC `HH:MM` of the trickle-down slots. */
  trickleDownAt: string;
  tagMessage: string;
  autoApprove: boolean;
  repos: TrainRepo[];
  /** Set when GitHub is configured: admin checks, releases, conflict pull requests. */
  github: boolean;
  /** Default 'auto' (pull requests need GitHub and the repo's `github`; without them a refused push waits for an operator). */
  mergeVia?: MergeVia;
  /** Set when JIRA is configured. `url` only links issues in the release notes. */
  jira?: { project: string; board?: number; url: string };
}

/** Input of `releaseTrain`. */
export interface ReleaseTrainInput {
  version: number;
  /** Default: `generateCodename(version)`. */
  codename?: string;
  /** ISO instant or `YYYY-MM-DD` the calendar starts at; default: when the workflow starts. */
  start?: string;
  config: TrainConfig;
  /** How often a train waiting on a conflict pull request asks GitHub whether it was merged (ms, default 10 min). */
  pullRequestPollMs?: number;
  /** Continue as new once the history has this many events (default 5,000; Temporal's own hint also counts). */
  historyLimit?: number;
  /** Heartbeat timeout of the git steps (ms, default 10 min): how soon a step of a dead worker is retried by another. */
  gitHeartbeatTimeoutMs?: number;
  /** State carried over by continue-as-new; never set by callers. */
  carried?: CarriedTrainState;
}

/** Where a train is in its life. */
export type TrainStage = 'branching' | 'cycle' | 'releasing' | 'merging-back' | 'starting-next' | 'patching' | 'completed' | 'cancelled';

/** Something the train is waiting for, and why. */
export interface TrainWait {
  kind: 'approval' | 'operator' | 'merge-conflict' | 'pull-request' | 'next-release' | 'calendar';
  reason: string;
  since: string;
  repo?: string;
  /** The failure an operator has to fix (type and message only). */
  error?: { type: string; message: string };
  pullRequest?: { repo: string; number: number; url: string };
}

/** The last merge made in a repo. */
export interface RepoMerge {
  kind: 'trickle-down' | 'merge-back';
  status: 'up-to-date' | 'fast-forward' | 'merged' | 'merged-by-pull-request';
  at: string;
  sha?: string;
  /** The pull request it went through (status 'merged-by-pull-request'). */
  pullRequest?: MergePullRequest;
}

/** A pull request a merge goes through (protected master, `mergeVia: pull-request`, or a conflict). */
export interface MergePullRequest {
  /** "owner/name" */
  repo: string;
  number: number;
  url: string;
  /** The throw-away branch it comes from, e.g. `stratus/merge-v31-into-master-1`. */
  head: string;
  reason: 'conflict' | 'protected' | 'pull-request';
  state: 'open' | 'merged' | 'closed';
}

/** Per-repo state as `status` shows it. */
export interface RepoStatus {
  name: string;
  target: ReleaseTarget;
  /** The branch the repo is released from (`v<N>` or master). */
  branch: string;
  state: 'pending' | 'branched' | 'ready' | 'conflict' | 'tagged';
  branchSha?: string;
  lastMerge?: RepoMerge;
  /** How many throw-away merge branches were cut (numbers the next one). */
  mergeBranches?: number;
  /** The merge pull request of this repo the train waits on, if any. */
  pullRequest?: MergePullRequest;
}

/** A tag the train made. */
export interface TrainTag {
  tag: string;
  n: number;
  at: string;
  repos: Array<{ repo: string; sha: string }>;
  /** Who approved the release (n = 1) or asked for the patch tag. */
  by?: string;
}

/** What the `status` query returns. */
export interface TrainStatus {
  workflowId: string;
  version: number;
  codename: string;
  stage: TrainStage;
  calendar: ReleaseCalendar;
  /** The running phase, or null before the start and after the last phase. */
  phase: (Phase & { index: number }) | null;
  approved: boolean;
  /** Who approved (`release approve --as`, STRATUS_OPERATOR, the OS user or the dashboard's operator). */
  approvedBy?: string;
  /** The GitHub repos the approver was checked to administer (the token's own check is then skipped). */
  approverAdminOf?: string[];
  autoApprove: boolean;
  repos: RepoStatus[];
  waiting: TrainWait[];
  tags: TrainTag[];
  trickleDowns: number;
  lastTrickleDown?: string;
  releaseNotes?: string;
  nextTrain?: string;
  /** Set once the next train has released (this one then completes). */
  successorReleased?: string;
  jiraVersionReleased?: boolean;
  githubReleases: string[];
  runs: number;
}

/** Everything continue-as-new carries to the next run. */
export interface CarriedTrainState {
  status: TrainStatus;
  /** The trickle-down slot bookkeeping: the instant of the last merge (or the start). */
  lastTrickleCheck: string;
  pendingPatch: number | null;
  resumeCount: number;
}

/** What the workflow returns. */
export interface ReleaseTrainResult {
  version: number;
  stage: 'completed' | 'cancelled';
  tags: string[];
  releaseNotes?: string;
}

/** Update names, args and results (the CLI uses these names). */
export const TRAIN_UPDATES = ['approve', 'advance', 'tag', 'resume', 'cancel'] as const;
/** Argument of the `approve` update (optional: older callers send none). */
export interface ApproveArgs {
  /** The login of the person approving; with GitHub configured they must administer every repo to be tagged. */
  approver?: string;
}
/** Argument of the `tag` update (optional). */
export interface TagArgs {
  /** Who asks for the patch tag; with GitHub configured they must administer every repo to be tagged. */
  by?: string;
}
export interface TagUpdateResult {
  tag: string;
  repos: Array<{ repo: string; sha: string }>;
}

/** Builds a train's config slice from the parsed `release:` section (drops URLs and credential names). */
export function trainConfigFrom(release: ReleaseConfig): TrainConfig {
  return {
    masterBranch: release.masterBranch,
    sprints: release.sprints.map((s) => ({ name: s.name, length: s.length, focus: s.focus })),
    trickleDown: release.trickleDown,
    trickleDownAt: release.trickleDownAt,
    tagMessage: release.tagMessage,
    autoApprove: release.autoApprove,
    repos: release.repos.map((r) => ({ name: r.name, target: r.target, ...(r.github ? { github: r.github } : {}) })),
    github: release.github !== undefined,
    mergeVia: release.mergeVia,
    ...(release.jira ? { jira: { project: release.jira.project, url: release.jira.url, ...(release.jira.board ? { board: release.jira.board } : {}) } } : {}),
  };
}

/** JIRA sprints of train N: the phases, named `v<N> <phase name>`, dates as ISO. */
export function trainSprints(version: number, calendar: ReleaseCalendar): Array<{ name: string; start: string; end: string }> {
  return calendar.phases.map((p) => ({ name: `${releaseBranchName(version)} ${p.name}`, start: p.start, end: p.end }));
}

/** One planned action of a dry run. */
export interface PlannedAction {
  system: 'git' | 'jira' | 'github' | 'file' | 'temporal';
  action: string;
}

/** What `stratus release start --dry-run` prints: the calendar and every action, nothing done. */
export interface TrainPlan {
  workflowId: string;
  version: number;
  codename: string;
  calendar: ReleaseCalendar;
  trickleDownSlots: number;
  actions: PlannedAction[];
}

/** Plans train N as the workflow would run it (pure: validates names and the template too). */
export function planTrain(input: { version: number; codename?: string; start: string; config: TrainConfig }): TrainPlan {
  const { config } = input;
  const version = validateVersion(input.version);
  const codename = input.codename ?? generateCodename(version);
  const calendar = computeCalendar(input.start, config.sprints);
  const branch = releaseBranchName(version);
  const tag = releaseTagName(version, 1);
  const message = renderTagMessage(config.tagMessage, { version, n: 1, codename });
  const branchRepos = config.repos.filter((r) => r.target === 'release-branch');
  const slots = slotsBetween(config.trickleDown, calendar.start, calendar.end, { timeOfDay: config.trickleDownAt });
  const actions: PlannedAction[] = [];
  const add = (system: PlannedAction['system'], action: string) => actions.push({ system, action });
  for (const r of branchRepos) add('git', `create branch ${branch} from ${config.masterBranch} in ${r.name} (skipped if it already points there)`);
  if (config.jira) {
    add('jira', `create fixVersion ${branch} in project ${config.jira.project}`);
    if (config.jira.board !== undefined) {
      for (const s of trainSprints(version, calendar)) add('jira', `create sprint "${s.name}" on board ${config.jira.board}: ${s.start} → ${s.end}`);
    }
  }
  if (branchRepos.length > 0 && slots.length > 0) {
    add('git', `trickle-down: merge ${branch} into ${config.masterBranch} in ${branchRepos.map((r) => r.name).join(', ')} at ${slots.length} ${config.trickleDown} slots (${slots[0]} … ${slots[slots.length - 1]})`);
  }
  add('temporal', config.autoApprove ? `release automatically at ${calendar.end}` : `wait for \`stratus release approve ${version}\` once "${calendar.phases[calendar.phases.length - 1].name}" has started`);
  const gh = config.repos.filter((r) => r.github);
  if (config.github && gh.length > 0) add('github', `check the approver (the token's user when approved automatically) administers ${gh.map((r) => r.github).join(', ')}`);
  for (const r of config.repos) {
    add('git', `tag ${tag} on ${targetBranch(r.target, version, config.masterBranch)} of ${r.name}, message ${JSON.stringify(message)}, push it`);
  }
  if (config.github) for (const r of gh) add('github', `create release ${tag} in ${r.github} with the release notes`);
  if (config.jira) {
    add('jira', `collect the issues resolved in ${branch} for the release notes (grouped by type)`);
    add('jira', `move unresolved issues of ${branch} to v${version + 1}, mark ${branch} released`);
  }
  add('file', `write the release notes to <notes dir>/${branch}.md`);
  const via = config.mergeVia ?? 'auto';
  for (const r of branchRepos) {
    const how = !config.github || !r.github || via === 'push' ? 'push it' : via === 'pull-request' ? 'through a pull request' : 'push it, or a pull request if master is protected';
    add('git', `merge-back: merge ${branch} into ${config.masterBranch} in ${r.name}, ${how}`);
  }
  add('temporal', `start ${releaseWorkflowId(version + 1)} at ${calendar.end}; take patch tags ${releaseTagName(version, 2)}, … until it releases`);
  return { workflowId: releaseWorkflowId(version), version, codename, calendar, trickleDownSlots: slots.length, actions };
}
