// The ReleaseTracker port (fixVersions, sprints, release notes input) and its jira-client adapter.
import type JiraApi from 'jira-client';
import { InvalidNameError } from './github-errors.js';
import {
  createJiraConnection, parseJiraFailure, type JiraConnection, type JiraConnectionOptions, type JiraInternals, type JiraSession,
} from './jira-connection.js';
import {
  SprintConflictError, VersionAlreadyReleasedError, VersionNotFoundError, assertProjectKey, assertVersionName, translateJiraError,
} from './jira-errors.js';
import { createOnce } from './jira-once.js';
import { jqlString, searchIssues, type JiraSearchIssue } from './jira-search.js';

export type { JiraConnectionOptions, JiraDeployment } from './jira-connection.js';

/** A JIRA fixVersion; `created` is false when it already existed. */
export interface JiraVersion {
  id: string;
  name: string;
  released: boolean;
  releaseDate?: string;
  created: boolean;
}

/** A sprint to have on a board: dates as `YYYY-MM-DD` (midnight UTC) or full ISO 8601. */
export interface SprintSpec {
  name: string;
  start: string;
  end: string;
}

export interface Sprint {
  id: number;
  name: string;
  start?: string;
  end?: string;
  created: boolean;
}

/** A released version and the keys of the issues not done that went on to the next version. */
export interface ReleasedVersion extends JiraVersion {
  moved: string[];
}

/** An issue done (status category Done) in a fixVersion, as release notes need it. */
export interface ResolvedIssue {
  key: string;
  summary: string;
  /** JIRA issue type name: Bug, Improvement, New Feature, Task, … */
  type: string;
}

/**
 * What the release train needs from JIRA. Every method is idempotent: re-running after a crash
 * finds what the first run made and reuses it.
 */
export interface ReleaseTracker {
  /** Reuses an unreleased version of that name or creates it; VersionAlreadyReleasedError if it is released. */
  ensureVersion(project: string, name: string): Promise<JiraVersion>;
  /**
   * Marks the version released on `date` (YYYY-MM-DD), moving its issues that are not done to
   * `moveOpenTo` (created if missing) in the same request where JIRA's `moveUnfixedIssuesTo`
   * agrees with the status categories; already released → returned as is, nothing moved.
   */
  releaseVersion(project: string, name: string, date: string, moveOpenTo?: string): Promise<ReleasedVersion>;
  /** Moves the issues of `from` not in a Done-category status to `to` (created if missing); returns the moved keys. */
  moveUnresolvedIssues(project: string, from: string, to: string): Promise<string[]>;
  /** Creates the sprints missing on the board (matched by name); SprintConflictError if dates differ. */
  ensureSprints(board: number, sprints: SprintSpec[]): Promise<Sprint[]>;
  /** Issues of the fixVersion in a Done-category status, by key. */
  resolvedIssues(project: string, version: string): Promise<ResolvedIssue[]>;
}

export function createJiraReleaseTracker(options: JiraConnectionOptions): ReleaseTracker {
  return new JiraReleaseTracker(createJiraConnection(options));
}

interface RawVersion { id: string; name: string; released?: boolean; releaseDate?: string; self?: string }
interface RawSprint { id: number; name: string; startDate?: string; endDate?: string }

const isDone = (i: JiraSearchIssue): boolean => i.fields.status?.statusCategory?.key === 'done';

class JiraReleaseTracker implements ReleaseTracker {
  constructor(private readonly conn: JiraConnection) {}

  private async call<T>(what: string, fn: (s: JiraSession) => Promise<unknown>): Promise<T> {
    try {
      return (await fn(await this.conn.session())) as T;
    } catch (err) {
      throw translateJiraError(err, { baseUrl: this.conn.baseUrl, what });
    }
  }

  /** Runs `fn` on the session without translating its failure (for createOnce, which reads it). */
  private async raw<T>(fn: (s: JiraSession) => Promise<unknown>): Promise<T> {
    return (await fn(await this.conn.session())) as T;
  }

  private translated(what: string): (err: unknown) => never {
    return (err) => { throw translateJiraError(err, { baseUrl: this.conn.baseUrl, what }); };
  }

  private async findVersion(project: string, name: string): Promise<RawVersion | undefined> {
    const all = await this.call<RawVersion[]>(`the versions of ${project}`, (s) => s.api.getVersions(project));
    return all.find((v) => v.name === name);
  }

  async ensureVersion(project: string, name: string): Promise<JiraVersion> {
    assertProjectKey(project);
    assertVersionName(name);
    // The name is the marker: JIRA keeps version names unique per project, and the list is consistent.
    const { value, created } = await createOnce({
      find: () => this.findVersion(project, name),
      create: () => this.raw<RawVersion>((s) => s.api.createVersion({ name, project, released: false } as JiraApi.VersionObject)),
      exists: (err) => jiraStatus(err) === 400,
    }).catch(this.translated(`creating version ${name} in ${project}`));
    if (value.released) throw new VersionAlreadyReleasedError(project, name, value.releaseDate);
    return toVersion(value, created);
  }

  async releaseVersion(project: string, name: string, date: string, moveOpenTo?: string): Promise<ReleasedVersion> {
    assertProjectKey(project);
    assertVersionName(name);
    if (moveOpenTo !== undefined) assertVersionName(moveOpenTo);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) {
      throw new InvalidNameError('release date', date, 'expected YYYY-MM-DD');
    }
    const existing = await this.findVersion(project, name);
    if (!existing) throw new VersionNotFoundError(project, name);
    if (existing.released) return { ...toVersion(existing, false), moved: [] };
    const release: Record<string, unknown> = { id: existing.id, released: true, releaseDate: date };
    let moved: string[] = [];
    if (moveOpenTo !== undefined) {
      const next = await this.ensureVersion(project, moveOpenTo);
      const issues = await this.search(`project = ${jqlString(project)} AND fixVersion = ${jqlString(name)} ORDER BY key ASC`, ['status', 'resolution']);
      const open = issues.filter((i) => !isDone(i));
      moved = open.map((i) => i.key);
      // JIRA moves "unfixed" = unresolved issues. Where a workflow's Done sets no resolution (or an
      // open issue kept one), that is not "not done": then stratus moves the open ones itself.
      const agrees = issues.every((i) => isDone(i) === (i.fields.resolution != null));
      if (agrees) release.moveUnfixedIssuesTo = `${this.conn.baseUrl}/rest/api/2/version/${next.id}`;
      else await this.moveIssues(open.map((i) => i.key), name, moveOpenTo);
    }
    const updated = await this.call<RawVersion>(`releasing version ${name} of ${project}`, (s) =>
      s.api.updateVersion(release as unknown as JiraApi.VersionObject));
    return { ...toVersion({ ...existing, ...updated, released: true, releaseDate: updated.releaseDate ?? date }, false), moved };
  }

  async moveUnresolvedIssues(project: string, from: string, to: string): Promise<string[]> {
    assertProjectKey(project);
    assertVersionName(from);
    assertVersionName(to);
    if (!(await this.findVersion(project, from))) throw new VersionNotFoundError(project, from);
    await this.ensureVersion(project, to);
    const keys = (await this.search(`project = ${jqlString(project)} AND fixVersion = ${jqlString(from)} AND statusCategory != Done ORDER BY key ASC`, ['status']))
      .map((i) => i.key);
    await this.moveIssues(keys, from, to);
    return keys;
  }

  private async moveIssues(keys: string[], from: string, to: string): Promise<void> {
    for (const key of keys) {
      await this.call(`moving ${key} from ${from} to ${to}`, (s) =>
        s.api.updateIssue(key, { update: { fixVersions: [{ remove: { name: from } }, { add: { name: to } }] } }));
    }
  }

  async ensureSprints(board: number, sprints: SprintSpec[]): Promise<Sprint[]> {
    if (!Number.isSafeInteger(board) || board <= 0) throw new InvalidNameError('JIRA board id', String(board), 'expected a positive integer');
    const wanted = sprints.map((s) => {
      if (typeof s.name !== 'string' || !s.name.trim() || s.name.length > 30) throw new InvalidNameError('sprint name', String(s.name), 'must be 1-30 characters');
      return { name: s.name, start: isoDate('sprint start', s.start), end: isoDate('sprint end', s.end) };
    });
    let existing = await this.listSprints(board);
    const out: Sprint[] = [];
    for (const s of wanted) {
      // JIRA allows two sprints of one name: the name (derived from the train) is the marker, and
      // the board's sprint list (consistent) is read again before a create is repeated.
      const { value: found, created } = await createOnce<RawSprint>({
        find: async () => existing.find((e) => e.name === s.name),
        create: () => this.raw<RawSprint>((session) => {
          const api = session.api as unknown as JiraInternals;
          return api.doRequest(api.makeRequestHeader(api.makeAgileUri({ pathname: '/sprint' }), {
            method: 'POST', followAllRedirects: true, body: { name: s.name, startDate: s.start, endDate: s.end, originBoardId: board },
          }));
        }).catch(async (err: unknown) => {
          existing = await this.listSprints(board);
          throw err;
        }),
      }).catch(this.translated(`creating sprint "${s.name}" on board ${board}`));
      if (!created) {
        const differs = (have: string | undefined, want: string): boolean => have !== undefined && Date.parse(have) !== Date.parse(want);
        if (differs(found.startDate, s.start) || differs(found.endDate, s.end)) {
          throw new SprintConflictError(board, s.name, { start: found.startDate, end: found.endDate }, s);
        }
      }
      out.push({ id: found.id, name: found.name, start: found.startDate, end: found.endDate, created });
    }
    return out;
  }

  private async listSprints(board: number): Promise<RawSprint[]> {
    const all: RawSprint[] = [];
    for (let startAt = 0; ; ) {
      const page = await this.call<{ isLast?: boolean; values: RawSprint[] }>(`the sprints of board ${board}`, (s) =>
        s.api.getAllSprints(String(board), startAt, 50));
      all.push(...page.values);
      startAt += page.values.length;
      if (page.isLast !== false || page.values.length === 0) return all;
    }
  }

  async resolvedIssues(project: string, version: string): Promise<ResolvedIssue[]> {
    assertProjectKey(project);
    assertVersionName(version);
    if (!(await this.findVersion(project, version))) throw new VersionNotFoundError(project, version);
    const issues = await this.search(`project = ${jqlString(project)} AND fixVersion = ${jqlString(version)} AND statusCategory = Done ORDER BY key ASC`, ['summary', 'issuetype']);
    return issues.map((i) => ({ key: i.key, summary: i.fields.summary ?? '', type: i.fields.issuetype?.name ?? 'Task' }));
  }

  private search(jql: string, fields: string[]): Promise<JiraSearchIssue[]> {
    return this.call(`the search ${jql}`, (s) => searchIssues(s, jql, fields));
  }
}

/** The HTTP status of a JIRA failure (0 when there was no answer), for `exists` checks. */
export function jiraStatus(err: unknown): number | undefined {
  return parseJiraFailure(err)?.status;
}

function toVersion(v: RawVersion, created: boolean): JiraVersion {
  return { id: String(v.id), name: v.name, released: v.released === true, ...(v.releaseDate ? { releaseDate: v.releaseDate } : {}), created };
}

function isoDate(field: string, value: string): string {
  const full = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(full))) throw new InvalidNameError(field, String(value), 'expected YYYY-MM-DD or an ISO 8601 date-time');
  return new Date(full).toISOString();
}
