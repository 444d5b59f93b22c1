// `releaseTrain`, id `release-v<N>`: one release from branch cut to the last patch. Cuts `v<N>`,
// runs the sprint calendar with trickle-down merges, releases at the gate (tag, GitHub release,
// JIRA, notes), merges back, starts train N+1 and takes patch tags until N+1 releases.
// Every failure an operator has to fix, and every merge conflict, makes the train wait (shown
// by `status`) instead of failing. Long trains continue as new, carrying their state.
import {
  ActivityFailure, ApplicationFailure, ParentClosePolicy, allHandlersFinished, condition, continueAsNew,
  getExternalWorkflowHandle, proxyActivities, setHandler, startChild, workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ReleaseActivities } from '../activities/release.js';
import { advancePhase, computeCalendar, nextSlotAfter, phaseAt, trickleDownDue } from './release-calendar.js';
import { generateCodename, releaseBranchName, releaseTagName, targetBranch, validateVersion } from './release-names.js';
import { renderReleaseNotes } from './release-notes.js';
import { advanceUpdate, approveUpdate, cancelUpdate, resumeUpdate, statusQuery, successorReleasedSignal, tagUpdate } from './release-train-api.js';
import { mergeRepo, type MergeKind } from './release-train-merge.js';
import {
  releaseWorkflowId, trainSprints, type ApproveArgs, type ReleaseTrainInput, type TagArgs, type ReleaseTrainResult, type RepoStatus, type TagUpdateResult, type TrainStatus,
  type TrainWait,
} from './release-train-types.js';

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 6 };
/** Git steps clone or fetch big repos: long, heartbeating per repo done. */
const gitActivities = (heartbeatTimeoutMs?: number) =>
  proxyActivities<ReleaseActivities>({ startToCloseTimeout: '30m', heartbeatTimeout: heartbeatTimeoutMs ?? '10m', retry });
/** GitHub, JIRA and the notes file: short HTTP calls / one file. */
const shortActivity = proxyActivities<ReleaseActivities>({ startToCloseTimeout: '2m', retry });

/** Waits `resume` retries: operator fixes, conflicts, merge pull requests. */
const RESUMABLE = new Set<TrainWait['kind']>(['operator', 'merge-conflict', 'pull-request']);

/** Thrown out of any wait once `cancel` was accepted; caught at the top. */
class TrainCancelled extends Error {}

const iso = (ms: number) => new Date(ms).toISOString();
/** An approver's login as the CLI and the dashboard send it. */
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Runs a validator inside an update handler: its Error becomes an ApplicationFailure (failing the update, not the workflow task). */
function rejectAsUpdateFailure(check: () => void): void {
  try {
    check();
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'Rejected');
  }
}

function validateLogin(login: unknown, field: string): void {
  if (login !== undefined && (typeof login !== 'string' || !LOGIN.test(login))) {
    throw new Error(`${field} must be a login (letters, digits and . _ @ -, at most 64 characters), got ${JSON.stringify(String(login).slice(0, 80))}`);
  }
}
const nowIso = () => iso(Date.now());

/** The release train workflow. */
export async function releaseTrain(input: ReleaseTrainInput): Promise<ReleaseTrainResult> {
  return new Train(input).run();
}

export class Train {
  readonly version: number;
  readonly branch: string;
  readonly status: TrainStatus;
  private lastTrickleCheck: string;
  private pendingPatch: number | null;
  private patchFailure: { n: number; message: string } | null = null;
  /** Who asked for the pending patch tag, and whether they were checked to administer the GitHub repos. */
  private patchBy: { n: number; by: string; adminChecked: boolean } | null = null;
  resumeCount: number;
  private cancelRequested = false;
  private wake = 0;
  private readonly gitActivity: ReturnType<typeof gitActivities>;

  constructor(readonly input: ReleaseTrainInput) {
    try {
      this.version = validateVersion(input.version);
    } catch (error) {
      throw ApplicationFailure.nonRetryable((error as Error).message, 'InvalidName', { field: 'version' });
    }
    this.branch = releaseBranchName(this.version);
    this.gitActivity = gitActivities(input.gitHeartbeatTimeoutMs);
    const carried = input.carried;
    if (carried) {
      this.status = { ...carried.status, runs: carried.status.runs + 1 };
      this.lastTrickleCheck = carried.lastTrickleCheck;
      this.pendingPatch = carried.pendingPatch;
      this.resumeCount = carried.resumeCount;
    } else {
      const calendar = computeCalendar(input.start ?? nowIso(), input.config.sprints);
      const master = input.config.masterBranch;
      this.status = {
        workflowId: releaseWorkflowId(this.version),
        version: this.version,
        codename: input.codename ?? generateCodename(this.version),
        stage: 'branching',
        calendar,
        phase: null,
        approved: false,
        autoApprove: input.config.autoApprove,
        repos: input.config.repos.map((r): RepoStatus => ({
          name: r.name,
          target: r.target,
          branch: targetBranch(r.target, this.version, master),
          state: r.target === 'release-branch' ? 'pending' : 'ready',
        })),
        waiting: [],
        tags: [],
        trickleDowns: 0,
        githubReleases: [],
        runs: 1,
      };
      this.lastTrickleCheck = calendar.start;
      this.pendingPatch = null;
      this.resumeCount = 0;
    }
    this.registerHandlers();
  }

  get config() {
    return this.input.config;
  }

  private get branchRepos() {
    return this.config.repos.filter((r) => r.target === 'release-branch');
  }

  private get githubRepos(): string[] {
    return this.config.github ? this.config.repos.flatMap((r) => (r.github ? [r.github] : [])) : [];
  }

  private get inReleasePhase(): boolean {
    const pos = phaseAt(this.status.calendar, nowIso());
    return pos.state === 'finished' || (pos.state === 'running' && pos.index === this.status.calendar.phases.length - 1);
  }

  private registerHandlers(): void {
    const s = this.status;
    const name = `v${this.version}`;
    setHandler(statusQuery, () => s);
    setHandler(approveUpdate, async (args?: ApproveArgs) => {
      const approver = args?.approver;
      const gh = this.githubRepos;
      if (approver !== undefined && gh.length > 0) {
        await this.checkApprover(approver, gh, `${name} was not approved`);
        rejectAsUpdateFailure(() => this.validateApproval()); // things may have moved on during the check
        s.approverAdminOf = gh;
      }
      s.approved = true;
      if (approver !== undefined) s.approvedBy = approver;
      this.wake++;
      return `${name} approved${approver !== undefined ? ` by ${approver}` : ''}: tagging ${releaseTagName(this.version, 1)} now`;
    }, {
      validator: (args?: ApproveArgs) => {
        validateLogin(args?.approver, 'approver');
        this.validateApproval();
      },
    });
    setHandler(advanceUpdate, () => {
      const now = nowIso();
      s.calendar = advancePhase(s.calendar, now);
      this.refreshPhase(now);
      this.wake++;
      return s.phase;
    }, {
      validator: () => {
        if (s.stage !== 'cycle' && s.stage !== 'branching') throw new Error(`${name} has no phase to advance: it is ${s.stage}`);
        const pos = phaseAt(s.calendar, nowIso());
        if (pos.state === 'not-started') throw new Error(`${name} has not started yet: its calendar starts ${s.calendar.start}`);
        if (pos.state === 'finished') throw new Error(`${name} is past its last phase (ended ${s.calendar.end}); approve it to release`);
      },
    });
    setHandler(tagUpdate, async (args?: TagArgs): Promise<TagUpdateResult> => {
      const by = args?.by;
      const gh = this.githubRepos;
      if (by !== undefined && gh.length > 0) {
        await this.checkApprover(by, gh, `${name} was not tagged`);
        rejectAsUpdateFailure(() => this.validateTag()); // another tag may have started during the check
      }
      const n = Math.max(0, ...s.tags.map((t) => t.n)) + 1;
      this.pendingPatch = n;
      this.patchBy = by === undefined ? null : { n, by, adminChecked: gh.length > 0 };
      this.patchFailure = null;
      this.wake++;
      await condition(() => s.tags.some((t) => t.n === n) || this.patchFailure?.n === n || this.cancelRequested);
      const made = s.tags.find((t) => t.n === n);
      if (made) return { tag: made.tag, repos: made.repos };
      const tag = releaseTagName(this.version, n);
      if (this.cancelRequested) throw ApplicationFailure.nonRetryable(`${name} was cancelled before ${tag} was made`, 'Cancelled');
      const failure = this.patchFailure as { message: string } | null;
      throw ApplicationFailure.nonRetryable(
        `${tag} is waiting for an operator: ${failure?.message}; fix it and run \`stratus release resume ${this.version}\``, 'WaitingForOperator');
    }, {
      validator: (args?: TagArgs) => {
        validateLogin(args?.by, 'by');
        this.validateTag();
      },
    });
    setHandler(resumeUpdate, () => {
      this.resumeCount++;
      const what = s.waiting.filter((w) => RESUMABLE.has(w.kind)).map((w) => w.reason.split(';')[0]);
      return `${name} resumed: retrying ${what.join('; ')}`;
    }, {
      validator: () => {
        if (!s.waiting.some((w) => RESUMABLE.has(w.kind))) {
          throw new Error(`${name} is not waiting for an operator (it is ${s.stage}${s.waiting.length ? `, waiting for ${s.waiting.map((w) => w.kind).join(', ')}` : ''})`);
        }
      },
    });
    setHandler(cancelUpdate, () => {
      this.cancelRequested = true;
      return `${name} cancelled${s.nextTrain ? ` (${s.nextTrain} goes on)` : ''}`;
    }, {
      validator: () => {
        if (s.stage === 'completed' || s.stage === 'cancelled') throw new Error(`${name} is already ${s.stage}`);
        if (this.cancelRequested) throw new Error(`${name} is already being cancelled`);
      },
    });
    setHandler(successorReleasedSignal, ({ tag }) => {
      s.successorReleased = tag;
    });
  }

  /** Rejects the update (the train keeps waiting) unless `login` administers every repo in `repos`. */
  private async checkApprover(login: string, repos: string[], refused: string): Promise<void> {
    try {
      await shortActivity.checkApproverRights({ login, repos });
    } catch (error) {
      const failure = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : null;
      throw ApplicationFailure.nonRetryable(`${refused}: ${failure?.message ?? (error as Error).message}`, failure?.type ?? 'NotAdmin');
    }
  }

  /** Throws (the tag update's rejection) unless a patch tag can be cut now. */
  private validateTag(): void {
    const s = this.status;
    const name = `v${this.version}`;
    if (s.stage === 'completed' || s.stage === 'cancelled') throw new Error(`${name} is ${s.stage}: it takes no more patch releases`);
    if (s.stage !== 'patching') throw new Error(`${name} is not released yet (it is ${s.stage}): patch tags follow ${releaseTagName(this.version, 1)}`);
    if (s.successorReleased) throw new Error(`${name} takes no more patch releases: ${s.successorReleased} is out`);
    if (this.pendingPatch !== null) throw new Error(`${releaseTagName(this.version, this.pendingPatch)} is being tagged; wait for it`);
  }

  /** Throws (the approve update's rejection) unless the train can be approved now. */
  private validateApproval(): void {
    const s = this.status;
    const name = `v${this.version}`;
    if (s.stage !== 'cycle') throw new Error(s.approved || s.tags.length > 0 ? `${name} is already approved` : `${name} cannot be approved while ${s.stage}`);
    if (s.approved) throw new Error(`${name} is already approved`);
    if (this.cancelRequested) throw new Error(`${name} is being cancelled`);
    if (!this.inReleasePhase) {
      const last = s.calendar.phases[s.calendar.phases.length - 1];
      throw new Error(`${name} is not in its release phase yet ("${last.name}" starts ${last.start}); run \`stratus release advance ${this.version}\` to get there sooner`);
    }
  }

  async run(): Promise<ReleaseTrainResult> {
    const s = this.status;
    try {
      if (s.stage === 'branching') {
        await this.cutBranches();
        await this.setUpJira();
        s.stage = 'cycle';
      }
      if (s.stage === 'cycle') {
        await this.cycle();
        s.stage = 'releasing';
      }
      if (s.stage === 'releasing') {
        s.waiting = [];
        await this.release(1);
        await this.tellPredecessor();
        s.stage = 'merging-back';
      }
      if (s.stage === 'merging-back') {
        await this.mergeAll('merge-back');
        s.stage = 'starting-next';
      }
      if (s.stage === 'starting-next') {
        await this.startNextTrain();
        s.stage = 'patching';
      }
      if (s.stage === 'patching') {
        await this.patching();
        s.stage = 'completed';
      }
    } catch (error) {
      if (!(error instanceof TrainCancelled)) throw error;
      s.stage = 'cancelled';
    }
    s.waiting = [];
    s.phase = null;
    await condition(allHandlersFinished);
    return { version: this.version, stage: s.stage === 'cancelled' ? 'cancelled' : 'completed', tags: s.tags.map((t) => t.tag), releaseNotes: s.releaseNotes };
  }

  /** Adds a wait to `status.waiting`; the returned function removes it. */
  addWait(wait: Omit<TrainWait, 'since'>): () => void {
    const entry: TrainWait = { ...wait, since: nowIso() };
    this.status.waiting.push(entry);
    return () => {
      this.status.waiting = this.status.waiting.filter((w) => w !== entry);
    };
  }

  /** Waits for `predicate` (or the timeout: returns false); throws {@link TrainCancelled} on cancel. */
  async waitUntil(predicate: () => boolean, timeoutMs?: number): Promise<boolean> {
    const done = () => this.cancelRequested || predicate();
    const met = timeoutMs === undefined ? (await condition(done), true) : await condition(done, Math.max(1, timeoutMs));
    if (this.cancelRequested) throw new TrainCancelled();
    return met;
  }

  /**
   * Runs one activity step. When it fails for good (a non-retryable failure, or retries used up),
   * the train waits for an operator with the error in `status`, and retries after `resume`.
   */
  async step<T>(what: string, fn: () => Promise<T>, repo?: string, onBlocked?: (message: string) => void): Promise<T> {
    for (;;) {
      try {
        return await fn();
      } catch (error) {
        const failure = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : null;
        const message = failure?.message ?? (error instanceof Error ? error.message : String(error));
        const type = failure?.type ?? (error instanceof ActivityFailure && error.cause ? error.cause.name : 'Error');
        onBlocked?.(message);
        const seen = this.resumeCount;
        const remove = this.addWait({
          kind: 'operator',
          reason: `${what} failed: ${message}; fix it, then run \`stratus release resume ${this.version}\` (or cancel)`,
          error: { type, message },
          ...(repo ? { repo } : {}),
        });
        try {
          await this.waitUntil(() => this.resumeCount > seen);
        } finally {
          remove();
        }
      }
    }
  }

  private async cutBranches(): Promise<void> {
    const repos = this.branchRepos.map((r) => r.name);
    if (repos.length === 0) return;
    const result = await this.step(`cutting branch ${this.branch} from ${this.config.masterBranch}`, () =>
      this.gitActivity.cutReleaseBranch({ version: this.version, repos, from: this.config.masterBranch }));
    for (const outcome of result.repos) {
      const repo = this.status.repos.find((r) => r.name === outcome.repo);
      if (repo) Object.assign(repo, { state: 'branched', branchSha: outcome.sha });
    }
  }

  private async setUpJira(): Promise<void> {
    const jira = this.config.jira;
    if (!jira) return;
    await this.step(`creating JIRA version ${this.branch}`, () => shortActivity.ensureJiraVersion({ project: jira.project, version: this.branch }));
    if (jira.board !== undefined) {
      const board = jira.board;
      const sprints = trainSprints(this.version, this.status.calendar);
      await this.step(`creating the sprints of ${this.branch} on board ${board}`, () => shortActivity.ensureSprints({ board, sprints }));
    }
  }

  private refreshPhase(now: string): void {
    const pos = phaseAt(this.status.calendar, now);
    this.status.phase = pos.state === 'running' ? { ...pos.phase, index: pos.index } : null;
  }

  /** The sprint calendar with trickle-down merges, until the release gate opens. */
  private async cycle(): Promise<void> {
    const s = this.status;
    const { trickleDown, trickleDownAt } = this.config;
    const slotOptions = { timeOfDay: trickleDownAt };
    for (;;) {
      let now = nowIso();
      if (this.branchRepos.length > 0 && trickleDownDue(trickleDown, this.lastTrickleCheck, now, slotOptions).due) {
        this.lastTrickleCheck = now;
        await this.mergeAll('trickle-down');
        s.trickleDowns++;
        s.lastTrickleDown = now;
        now = nowIso();
      }
      this.refreshPhase(now);
      const pos = phaseAt(s.calendar, now);
      if (s.approved && this.inReleasePhase) return;
      if (pos.state === 'finished' && s.autoApprove) {
        s.approved = true;
        return;
      }
      s.waiting = s.waiting.filter((w) => w.kind !== 'approval' && w.kind !== 'calendar');
      if (pos.state === 'finished') {
        this.addWait({ kind: 'approval', reason: `the calendar ended ${s.calendar.end}; waiting for \`stratus release approve ${this.version}\`` });
      } else if (pos.state === 'running') {
        const last = pos.index === s.calendar.phases.length - 1;
        this.addWait({
          kind: 'calendar',
          reason: `"${pos.phase.name}" (${pos.phase.focus}) runs until ${pos.phase.end}${last ? `; \`stratus release approve ${this.version}\` releases now` : ''}`,
        });
      } else {
        this.addWait({ kind: 'calendar', reason: `the calendar starts ${s.calendar.start}` });
      }
      if (this.shouldContinueAsNew()) await this.continueAsNew();
      const boundary = pos.state === 'running' ? pos.phase.end : pos.state === 'not-started' ? s.calendar.start : null;
      const slot = this.branchRepos.length > 0 ? nextSlotAfter(trickleDown, now, slotOptions) : null;
      const next = [boundary, slot].filter((t): t is string => t !== null).map((t) => Date.parse(t));
      const wake = this.wake;
      await this.waitUntil(() => this.wake !== wake, next.length > 0 ? Math.min(...next) - Date.now() : undefined);
    }
  }

  /** Merges `v<N>` into master in every release-branch repo; conflicts wait for a person. */
  private async mergeAll(kind: MergeKind): Promise<void> {
    await Promise.all(this.branchRepos.map((r) => mergeRepo(this, this.gitActivity, shortActivity, r, kind)));
  }

  /** Tags `v<N>-<n>` everywhere, then the GitHub releases, JIRA and the notes file (n = 1). */
  private async release(n: number): Promise<void> {
    const s = this.status;
    const tag = releaseTagName(this.version, n);
    const blocked = n > 1 ? (message: string) => (this.patchFailure = { n, message }) : undefined;
    const gh = this.githubRepos;
    // An approver checked to administer every repo stands in for the token's own check.
    const approverChecked = n === 1 ? gh.every((r) => s.approverAdminOf?.includes(r)) : this.patchBy?.n === n && this.patchBy.adminChecked;
    if (gh.length > 0 && !approverChecked) {
      await this.step(`checking admin rights before tagging ${tag}`, () => shortActivity.checkAdminRights({ repos: gh }), undefined, blocked);
    }
    const repos = this.config.repos.map((r) => ({ repo: r.name, ref: targetBranch(r.target, this.version, this.config.masterBranch) }));
    const tagged = await this.step(`tagging ${tag}`, () =>
      this.gitActivity.tagRelease({ version: this.version, n, codename: s.codename, repos, message: this.config.tagMessage }), undefined, blocked);
    const by = n === 1 ? s.approvedBy : this.patchBy?.n === n ? this.patchBy.by : undefined;
    s.tags.push({ tag, n, at: nowIso(), repos: tagged.repos.map((r) => ({ repo: r.repo, sha: r.sha })), ...(by !== undefined ? { by } : {}) });
    if (n === 1) for (const repo of s.repos) repo.state = 'tagged';
    const jira = this.config.jira;
    let notes: string;
    if (n === 1 && jira) {
      const collected = await this.step(`collecting the release notes of ${this.branch} from JIRA`, () =>
        shortActivity.collectReleaseNotes({ project: jira.project, version: this.branch, codename: s.codename, jiraUrl: jira.url }));
      notes = collected.markdown;
    } else {
      notes = n === 1 ? renderReleaseNotes({ version: this.branch, codename: s.codename, issues: [] }) : `# ${tag} (${s.codename})\n\nPatch release ${n - 1} of ${this.branch}.\n`;
    }
    for (const repo of gh) {
      // The tagged commit, so GitHub cannot create the tag elsewhere (activity input only: replay-safe).
      const commit = tagged.repos.find((t) => this.config.repos.find((r) => r.github === repo)?.name === t.repo)?.sha;
      await this.step(`creating the GitHub release ${tag} in ${repo}`, () =>
        shortActivity.createGithubRelease({ repo, tag, name: `${tag} (${s.codename})`, body: notes, ...(commit ? { commit } : {}) }));
      s.githubReleases.push(`${repo}@${tag}`);
    }
    if (n === 1 && jira) {
      const date = nowIso().slice(0, 10);
      await this.step(`releasing JIRA version ${this.branch}`, () =>
        shortActivity.releaseJiraVersion({ project: jira.project, version: this.branch, date, moveUnresolvedTo: releaseBranchName(this.version + 1) }));
      s.jiraVersionReleased = true;
    }
    if (n === 1) {
      const file = await this.step(`writing the release notes of ${this.branch}`, () => shortActivity.writeReleaseNotes({ version: this.version, markdown: notes }));
      s.releaseNotes = file.path;
    }
  }

  /** Tells train N-1 (if it still runs) that this one released, so it stops taking patches. */
  private async tellPredecessor(): Promise<void> {
    if (this.version < 2) return;
    try {
      await getExternalWorkflowHandle(releaseWorkflowId(this.version - 1)).signal(successorReleasedSignal, { version: this.version, tag: releaseTagName(this.version, 1) });
    } catch {
      // no such train, or it already completed: nothing to tell
    }
  }

  /** Starts `release-v<N+1>` at this calendar's end; it outlives this train (ABANDON). */
  private async startNextTrain(): Promise<void> {
    const next = this.version + 1;
    const workflowId = releaseWorkflowId(next);
    const { config, pullRequestPollMs, historyLimit, gitHeartbeatTimeoutMs } = this.input;
    try {
      await startChild(releaseTrain, {
        workflowId,
        args: [{ version: next, start: this.status.calendar.end, config, ...(pullRequestPollMs ? { pullRequestPollMs } : {}), ...(historyLimit ? { historyLimit } : {}), ...(gitHeartbeatTimeoutMs ? { gitHeartbeatTimeoutMs } : {}) }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    this.status.nextTrain = workflowId;
  }

  /** After the release: patch tags on demand until the next train releases. */
  private async patching(): Promise<void> {
    const s = this.status;
    for (;;) {
      if (this.pendingPatch !== null) {
        await this.release(this.pendingPatch);
        this.pendingPatch = null;
        continue;
      }
      if (s.successorReleased) return;
      s.waiting = [{ kind: 'next-release', since: nowIso(), reason: `${this.branch} is released; patch tags with \`stratus release tag ${this.version}\` until ${s.nextTrain} releases` }];
      if (this.shouldContinueAsNew()) await this.continueAsNew();
      await this.waitUntil(() => this.pendingPatch !== null || s.successorReleased !== undefined);
    }
  }

  private shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= (this.input.historyLimit ?? 5000);
  }

  /** Continues as new at a quiet point (no handler running), carrying the whole state; else returns. */
  private async continueAsNew(): Promise<void> {
    const wake = this.wake;
    await condition(() => allHandlersFinished() || this.pendingPatch !== null || this.wake !== wake || this.cancelRequested);
    if (!allHandlersFinished() || this.pendingPatch !== null || this.cancelRequested) return;
    const { carried: _previous, ...rest } = this.input;
    return continueAsNew<typeof releaseTrain>({
      ...rest,
      codename: this.status.codename,
      carried: { status: this.status, lastTrickleCheck: this.lastTrickleCheck, pendingPatch: this.pendingPatch, resumeCount: this.resumeCount },
    });
  }
}
