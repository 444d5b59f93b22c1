// The ReleaseTracker port (fixVersions, sprints, release notes input) and its jira-client adapter.
import type JiraApi from 'jira-client';
import { InvalidNameError } from './github-errors.js';
import { createJiraApi, type JiraConnectionOptions, type JiraInternals } from './jira-connection.js';
import {
  SprintConflictError, VersionAlreadyReleasedError, VersionNotFoundError, assertProjectKey, assertVersionName, translateJiraError,
} from './jira-errors.js';

export type { JiraConnectionOptions } from './jira-connection.js';

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

/** An issue resolved in a fixVersion, as release notes need it. */
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
  /** Marks the version released on `date` (YYYY-MM-DD); already released → returned as is. */
  releaseVersion(project: string, name: string, date: string): Promise<JiraVersion>;
  /** Moves unresolved issues of `from` to `to` (created if missing); returns the moved keys. */
  moveUnresolvedIssues(project: string, from: string, to: string): Promise<string[]>;
  /** Creates the sprints missing on the board (matched by name); SprintConflictError if dates differ. */
  ensureSprints(board: number, sprints: SprintSpec[]): Promise<Sprint[]>;
  /** Issues with a resolution in the fixVersion, by key. */
  resolvedIssues(project: string, version: string): Promise<ResolvedIssue[]>;
}

export function createJiraReleaseTracker(options: JiraConnectionOptions): ReleaseTracker {
  return new JiraReleaseTracker(createJiraApi(options), options.baseUrl.replace(/\/+$/, ''));
}

interface RawVersion { id: string; name: string; released?: boolean; releaseDate?: string }
interface RawSprint { id: number; name: string; startDate?: string; endDate?: string }
interface SearchPage { total: number; issues: Array<{ key: string; fields: { summary?: string; issuetype?: { name?: string } } }> }

class JiraReleaseTracker implements ReleaseTracker {
  constructor(private readonly api: JiraApi, private readonly baseUrl: string) {}

  private async call<T>(what: string, fn: () => Promise<unknown>): Promise<T> {
    try {
      return (await fn()) as T;
    } catch (err) {
      throw translateJiraError(err, { baseUrl: this.baseUrl, what });
    }
  }

  private async findVersion(project: string, name: string): Promise<RawVersion | undefined> {
    const all = await this.call<RawVersion[]>(`the versions of ${project}`, () => this.api.getVersions(project));
    return all.find((v) => v.name === name);
  }

  async ensureVersion(project: string, name: string): Promise<JiraVersion> {
    assertProjectKey(project);
    assertVersionName(name);
    const existing = await this.findVersion(project, name);
    if (existing?.released) throw new VersionAlreadyReleasedError(project, name, existing.releaseDate);
    if (existing) return toVersion(existing, false);
    try {
      const made = await this.call<RawVersion>(`creating version ${name} in ${project}`, () =>
        this.api.createVersion({ name, project, released: false } as JiraApi.VersionObject));
      return toVersion(made, true);
    } catch (err) {
      // Another attempt may have created it in between: JIRA answers 400 "already exists".
      const again = await this.findVersion(project, name);
      if (again && !again.released) return toVersion(again, false);
      throw err;
    }
  }

  async releaseVersion(project: string, name: string, date: string): Promise<JiraVersion> {
    assertProjectKey(project);
    assertVersionName(name);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) {
      throw new InvalidNameError('release date', date, 'expected YYYY-MM-DD');
    }
    const existing = await this.findVersion(project, name);
    if (!existing) throw new VersionNotFoundError(project, name);
    if (existing.released) return toVersion(existing, false);
    const updated = await this.call<RawVersion>(`releasing version ${name} of ${project}`, () =>
      this.api.updateVersion({ id: existing.id, released: true, releaseDate: date } as unknown as JiraApi.VersionObject));
    return toVersion({ ...existing, ...updated, released: true, releaseDate: updated.releaseDate ?? date }, false);
  }

  async moveUnresolvedIssues(project: string, from: string, to: string): Promise<string[]> {
    assertProjectKey(project);
    assertVersionName(from);
    assertVersionName(to);
    if (!(await this.findVersion(project, from))) throw new VersionNotFoundError(project, from);
    await this.ensureVersion(project, to);
    const keys = (await this.search(`project = "${project}" AND fixVersion = "${from}" AND resolution is EMPTY ORDER BY key ASC`)).map((i) => i.key);
    for (const key of keys) {
      await this.call(`moving ${key} from ${from} to ${to}`, () =>
        this.api.updateIssue(key, { update: { fixVersions: [{ remove: { name: from } }, { add: { name: to } }] } }));
    }
    return keys;
  }

  async ensureSprints(board: number, sprints: SprintSpec[]): Promise<Sprint[]> {
    if (!Number.isSafeInteger(board) || board <= 0) throw new InvalidNameError('JIRA board id', String(board), 'expected a positive integer');
    const wanted = sprints.map((s) => {
      if (typeof s.name !== 'string' || !s.name.trim() || s.name.length > 30) throw new InvalidNameError('sprint name', String(s.name), 'must be 1-30 characters');
      return { name: s.name, start: isoDate('sprint start', s.start), end: isoDate('sprint end', s.end) };
    });
    const existing = await this.listSprints(board);
    const out: Sprint[] = [];
    for (const s of wanted) {
      const found = existing.find((e) => e.name === s.name);
      if (found) {
        const differs = (have: string | undefined, want: string): boolean => have !== undefined && Date.parse(have) !== Date.parse(want);
        if (differs(found.startDate, s.start) || differs(found.endDate, s.end)) {
          throw new SprintConflictError(board, s.name, { start: found.startDate, end: found.endDate }, s);
        }
        out.push({ id: found.id, name: found.name, start: found.startDate, end: found.endDate, created: false });
        continue;
      }
      const api = this.api as unknown as JiraInternals;
      const made = await this.call<RawSprint>(`creating sprint "${s.name}" on board ${board}`, () =>
        api.doRequest(api.makeRequestHeader(api.makeAgileUri({ pathname: '/sprint' }), {
          method: 'POST', followAllRedirects: true, body: { name: s.name, startDate: s.start, endDate: s.end, originBoardId: board },
        })));
      out.push({ id: made.id, name: made.name, start: made.startDate, end: made.endDate, created: true });
    }
    return out;
  }

  private async listSprints(board: number): Promise<RawSprint[]> {
    const all: RawSprint[] = [];
    for (let startAt = 0; ; ) {
      const page = await this.call<{ isLast?: boolean; values: RawSprint[] }>(`the sprints of board ${board}`, () =>
        this.api.getAllSprints(String(board), startAt, 50));
      all.push(...page.values);
      startAt += page.values.length;
      if (page.isLast !== false || page.values.length === 0) return all;
    }
  }

  async resolvedIssues(project: string, version: string): Promise<ResolvedIssue[]> {
    assertProjectKey(project);
    assertVersionName(version);
    if (!(await this.findVersion(project, version))) throw new VersionNotFoundError(project, version);
    const issues = await this.search(`project = "${project}" AND fixVersion = "${version}" AND resolution is not EMPTY ORDER BY key ASC`);
    return issues.map((i) => ({ key: i.key, summary: i.fields.summary ?? '', type: i.fields.issuetype?.name ?? 'Task' }));
  }

  private async search(jql: string): Promise<SearchPage['issues']> {
    const all: SearchPage['issues'] = [];
    for (;;) {
      const page = await this.call<SearchPage>(`the search ${jql}`, () =>
        this.api.searchJira(jql, { startAt: all.length, maxResults: 100, fields: ['summary', 'issuetype'] }));
      all.push(...page.issues);
      if (page.issues.length === 0 || all.length >= page.total) return all;
    }
  }
}

function toVersion(v: RawVersion, created: boolean): JiraVersion {
  return { id: String(v.id), name: v.name, released: v.released === true, ...(v.releaseDate ? { releaseDate: v.releaseDate } : {}), created };
}

function isoDate(field: string, value: string): string {
  const full = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(full))) throw new InvalidNameError(field, String(value), 'expected YYYY-MM-DD or an ISO 8601 date-time');
  return new Date(full).toISOString();
}
