// A stateful fake of JIRA REST (api/2, Cloud's api/3 search/jql, agile/1.0) on 127.0.0.1, in
// either deployment. Data Center: `/rest/api/2/search` paged by startAt/total, Basic
// username:password and Bearer personal access tokens. Cloud: the old searches answer 410,
// `/rest/api/{2,3}/search/jql` pages by nextPageToken with no total, new issues can stay
// invisible to search for a few requests, and only Basic email:apiToken authenticates (Bearer →
// 401). Both: anonymous serverInfo with deploymentType, versions (moveUnfixedIssuesTo),
// issues with required fields, comments (paged), the workflows of jira-workflows.ts, sprints.
// Fault switches from http-faults.ts, and `processThenFail` (the work is done, the answer is 5xx).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createFaultInjector, type FaultInjector } from './http-faults.js';
import { compileJql, type JqlIssue } from './jira-jql.js';
import { RESOLUTIONS, WORKFLOWS, transitionJson, type WorkflowName } from './jira-workflows.js';

export type { JqlIssue } from './jira-jql.js';

export interface FakeJiraOptions {
  /** Which JIRA to be (default `datacenter`). */
  deployment?: 'cloud' | 'datacenter';
  /** Basic auth: username → password (Data Center), or account e-mail → API token (Cloud). */
  users?: Record<string, string>;
  /** Data Center personal access tokens (Bearer) → username. Cloud refuses every Bearer token. */
  tokens?: Record<string, string>;
  /** The issue workflow of every project (default `classic`). */
  workflow?: WorkflowName;
  /** Fields a create must set, id → display name (e.g. `{ components: 'Component/s' }`). */
  requiredOnCreate?: Record<string, string>;
  /** Cloud: an issue created through the API stays out of search results for this many searches. */
  searchLag?: number;
  /** project keys */
  projects: string[];
  /** agile board id → project key */
  boards?: Record<number, string>;
}

export interface FakeVersion { id: string; name: string; projectId: number; project: string; released: boolean; archived: boolean; releaseDate?: string; description?: string; self: string }
export interface FakeSprint { id: number; name: string; state: 'future' | 'active' | 'closed'; startDate?: string; endDate?: string; originBoardId: number; goal?: string; self: string }
export interface FakeComment { id: string; body: string; author: { name: string }; created: string }
export interface FakeIssue extends JqlIssue { id: string; comments: FakeComment[] }

export interface SeenRequest { method: string; path: string; user?: string; body?: unknown; authorization?: 'basic' | 'bearer' }

/** Requests that are carried out, then answered with `status` (default 502) instead of the result. */
export interface ProcessThenFailSpec { path: RegExp; method?: string; status?: number; count?: number }

export interface FakeJira {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  faults: FaultInjector;
  requests: SeenRequest[];
  versions(project: string): FakeVersion[];
  sprints(board: number): FakeSprint[];
  issue(key: string): FakeIssue;
  issues(project: string): FakeIssue[];
  /** Seed an issue directly (as people do in the JIRA UI); `resolved`: in the workflow's done status. Returns its key. */
  addIssue(spec: SeedIssue): string;
  /** Whether the issue is in a Done-category status. */
  isDone(key: string): boolean;
  /** The next `count` matching requests are carried out and then answered with a 5xx. */
  processThenFail(spec: ProcessThenFailSpec): void;
  close(): Promise<void>;
}

/** An issue to seed; `resolution: null` with `resolved` makes a Done issue without resolution. */
export interface SeedIssue {
  project: string; summary: string; type?: string; fixVersion?: string; resolved?: boolean; labels?: string[]; description?: string;
  resolution?: string | null;
}

/** A sink for a response: the real one, or a discarding one for `processThenFail`. */
type Sink = Pick<ServerResponse, 'writeHead' | 'end'>;
const DISCARD: Sink = { writeHead: () => DISCARD as ServerResponse, end: () => DISCARD as ServerResponse } as Sink;

const CLOUD_SEARCH_GONE = 'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046';

export async function startFakeJira(options: FakeJiraOptions): Promise<FakeJira> {
  const cloud = options.deployment === 'cloud';
  const workflow = WORKFLOWS[options.workflow ?? 'classic'];
  const hidden = new Map<string, number>();
  const failAfter: Array<ProcessThenFailSpec & { remaining: number }> = [];
  const projects = new Map(options.projects.map((key, i) => [key, { key, id: 10000 + i }]));
  const boards = new Map(Object.entries(options.boards ?? {}).map(([id, key]) => [Number(id), key]));
  const versions: FakeVersion[] = [];
  const sprints: FakeSprint[] = [];
  const issues: FakeIssue[] = [];
  const counters = new Map<string, number>();
  let nextId = 10100;
  const faults = createFaultInjector({ body: (status) => ({ errorMessages: [`Injected fault: HTTP ${status}`], errors: {} }) });
  const requests: SeenRequest[] = [];
  const resetFaults = faults.reset.bind(faults);
  faults.reset = () => { resetFaults(); failAfter.length = 0; };
  let base = '';

  const errors = (res: Sink, status: number, messages: string[], fieldErrors: Record<string, string> = {}): void =>
    send(res, status, { errorMessages: messages, errors: fieldErrors });

  function versionJson(v: FakeVersion): FakeVersion {
    return { ...v };
  }

  const status = (name: string): JqlIssue['fields']['status'] => ({ name, statusCategory: { ...workflow.statuses[name] } });

  function addIssue(spec: SeedIssue): FakeIssue {
    const project = projects.get(spec.project);
    if (!project) throw new Error(`fake JIRA has no project ${spec.project}`);
    const n = (counters.get(project.key) ?? 0) + 1;
    counters.set(project.key, n);
    const fix = spec.fixVersion ? versions.find((v) => v.project === project.key && v.name === spec.fixVersion) : undefined;
    if (spec.fixVersion && !fix) throw new Error(`fake JIRA has no version ${spec.fixVersion}`);
    const id = String(nextId++);
    const issue: FakeIssue = {
      id, key: `${project.key}-${n}`, comments: [],
      fields: {
        summary: spec.summary, description: spec.description ?? null, issuetype: { name: spec.type ?? 'Task' },
        project: { key: project.key, id: String(project.id) }, labels: spec.labels ?? [],
        fixVersions: fix ? [{ id: fix.id, name: fix.name }] : [],
        status: status(spec.resolved ? workflow.done.status : workflow.initial),
        resolution: spec.resolved && spec.resolution !== null && (spec.resolution ?? workflow.done.resolution) ? { name: (spec.resolution ?? workflow.done.resolution)! } : null,
        created: new Date().toISOString(),
      },
    };
    issues.push(issue);
    return issue;
  }

  const server = createServer((req, res) => {
    void serve(req, res).catch((err: unknown) => errors(res, 500, [String(err)]));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname };
    requests.push(seen);
    if (faults.handle(req, res)) return;
    const body = (await readJson(req)) as Record<string, unknown> | undefined;
    seen.body = body;
    const after = failAfter.find((f) => f.remaining > 0 && (!f.method || f.method === req.method) && f.path.test(url.pathname));
    if (!after) return route(req, url, body, seen, res);
    after.remaining -= 1;
    if (after.remaining === 0) failAfter.splice(failAfter.indexOf(after), 1);
    await route(req, url, body, seen, DISCARD);
    const code = after.status ?? 502;
    return errors(res, code, [`Injected fault after processing: HTTP ${code}`]);
  }

  async function route(req: IncomingMessage, url: URL, body: Record<string, unknown> | undefined, seen: SeenRequest, res: Sink): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/rest/api/2/serverInfo') {
      // Anonymous on both deployments.
      return send(res, 200, cloud
        ? { baseUrl: base, version: '1001.0.0-SNAPSHOT', versionNumbers: [1001, 0, 0], deploymentType: 'Cloud', buildNumber: 100282, serverTitle: 'Jira' }
        : { baseUrl: base, version: '9.12.2', versionNumbers: [9, 12, 2], deploymentType: 'Server', buildNumber: 9120002, serverTitle: 'Jira' });
    }
    const header = req.headers.authorization;
    seen.authorization = /^Bearer\s/i.test(header ?? '') ? 'bearer' : /^Basic\s/i.test(header ?? '') ? 'basic' : undefined;
    const user = authenticate(header);
    if (!user) {
      return cloud
        ? errors(res, 401, ['Client must be authenticated to access this resource.'])
        : errors(res, 401, ['You are not authenticated. Authentication required to perform this operation.']);
    }
    seen.user = user;

    if (method === 'GET' && path === '/rest/api/2/myself') return send(res, 200, { name: user, displayName: user });

    // Versions
    if (method === 'GET' && (m = /^\/rest\/api\/2\/project\/([^/]+)\/versions$/.exec(path))) {
      const key = m[1];
      if (!projects.has(key)) return errors(res, 404, [`No project could be found with key '${key}'.`]);
      return send(res, 200, versions.filter((v) => v.project === key).map(versionJson));
    }
    if (method === 'POST' && path === '/rest/api/2/version') {
      const b = body ?? {};
      const project = [...projects.values()].find((p) => p.key === b.project || p.id === Number(b.projectId));
      if (!project) return errors(res, 400, [], { project: 'Project must be specified to create a version.' });
      if (typeof b.name !== 'string' || !b.name.trim()) return errors(res, 400, [], { name: 'You must specify a valid version name' });
      if (versions.some((v) => v.project === project.key && v.name === b.name)) {
        return errors(res, 400, [], { name: 'A version with this name already exists in this project.' });
      }
      const id = String(nextId++);
      const v: FakeVersion = {
        id, name: b.name, projectId: project.id, project: project.key, released: b.released === true, archived: false,
        ...(typeof b.releaseDate === 'string' ? { releaseDate: b.releaseDate } : {}),
        ...(typeof b.description === 'string' ? { description: b.description } : {}),
        self: `${base}/rest/api/2/version/${id}`,
      };
      versions.push(v);
      return send(res, 201, versionJson(v));
    }
    if ((m = /^\/rest\/api\/2\/version\/(\d+)$/.exec(path)) && (method === 'GET' || method === 'PUT')) {
      const v = versions.find((x) => x.id === m![1]);
      if (!v) return errors(res, 404, [`Could not find version for id '${m[1]}'`]);
      if (method === 'PUT') {
        const b = body ?? {};
        if (b.moveUnfixedIssuesTo !== undefined) {
          // A version URL (self) or id; JIRA moves the issues without a resolution ("unfixed").
          const target = versions.find((x) => x.id === String(b.moveUnfixedIssuesTo).split('/').pop() && x.project === v.project);
          if (!target) return errors(res, 400, [], { moveUnfixedIssuesTo: `Could not find version for '${String(b.moveUnfixedIssuesTo)}'` });
          for (const issue of issues.filter((i) => i.fields.resolution === null && i.fields.fixVersions.some((f) => f.id === v.id))) {
            issue.fields.fixVersions = [...issue.fields.fixVersions.filter((f) => f.id !== v.id && f.id !== target.id), { id: target.id, name: target.name }];
          }
        }
        if (typeof b.released === 'boolean') v.released = b.released;
        if (typeof b.releaseDate === 'string') v.releaseDate = b.releaseDate;
        if (typeof b.name === 'string') v.name = b.name;
        if (typeof b.description === 'string') v.description = b.description;
      }
      return send(res, 200, versionJson(v));
    }

    // Search
    if ((path === '/rest/api/2/search' || path === '/rest/api/3/search') && (method === 'POST' || method === 'GET')) {
      if (cloud) return errors(res, 410, [CLOUD_SEARCH_GONE]);
      if (path === '/rest/api/3/search') return errors(res, 404, [`No fake route for ${method} ${path}`]);
      const params = method === 'POST' ? body ?? {} : Object.fromEntries(url.searchParams);
      const found = search(params);
      if (typeof found === 'string') return errors(res, 400, [found]);
      const startAt = Number(params.startAt ?? 0);
      const maxResults = Math.min(Number(params.maxResults ?? 50), 100);
      return send(res, 200, {
        startAt, maxResults, total: found.all.length,
        issues: found.all.slice(startAt, startAt + maxResults).map((i) => issueJson(i, found.fields)),
      });
    }
    if (cloud && /^\/rest\/api\/[23]\/search\/jql$/.test(path) && (method === 'POST' || method === 'GET')) {
      const params = method === 'POST' ? body ?? {} : Object.fromEntries(url.searchParams);
      const found = search(params, true);
      if (typeof found === 'string') return errors(res, 400, [found]);
      // startAt is ignored; the token is opaque to clients.
      const offset = typeof params.nextPageToken === 'string' ? Number(JSON.parse(Buffer.from(params.nextPageToken, 'base64url').toString()).offset) : 0;
      const maxResults = Math.min(Number(params.maxResults ?? 50), 100);
      const page = found.all.slice(offset, offset + maxResults);
      const isLast = offset + page.length >= found.all.length;
      return send(res, 200, {
        issues: page.map((i) => (found.fields ? issueJson(i, found.fields) : { id: i.id })),
        ...(isLast ? {} : { nextPageToken: Buffer.from(JSON.stringify({ offset: offset + page.length })).toString('base64url') }),
        isLast,
      });
    }

    // Issues
    if (method === 'POST' && path === '/rest/api/2/issue') {
      const f = (body?.fields ?? {}) as Record<string, unknown>;
      const key = (f.project as { key?: string } | undefined)?.key;
      if (!key || !projects.has(key)) return errors(res, 400, [], { project: 'valid project is required' });
      if (typeof f.summary !== 'string' || !f.summary) return errors(res, 400, [], { summary: 'You must specify a summary of the issue.' });
      const missing = Object.entries(options.requiredOnCreate ?? {}).filter(([id]) => f[id] === undefined || (Array.isArray(f[id]) && !(f[id] as unknown[]).length));
      if (missing.length) return errors(res, 400, [], Object.fromEntries(missing.map(([id, name]) => [id, `${name} is required.`])));
      const labels = Array.isArray(f.labels) ? (f.labels as string[]) : [];
      if (labels.some((l) => /\s/.test(l))) return errors(res, 400, [], { labels: 'The label must not contain spaces.' });
      const issue = addIssue({
        project: key, summary: f.summary, type: (f.issuetype as { name?: string } | undefined)?.name ?? 'Task', labels,
        description: typeof f.description === 'string' ? f.description : undefined,
      });
      if (cloud && options.searchLag) hidden.set(issue.key, options.searchLag);
      return send(res, 201, { id: issue.id, key: issue.key, self: `${base}/rest/api/2/issue/${issue.id}` });
    }
    if ((m = /^\/rest\/api\/2\/issue\/([^/]+)(\/comment|\/transitions)?$/.exec(path))) {
      const issue = issues.find((i) => i.key === m![1] || i.id === m![1]);
      if (!issue) return errors(res, 404, ['Issue Does Not Exist']);
      const sub = m[2];
      if (!sub && method === 'GET') {
        const fields = url.searchParams.get('fields');
        return send(res, 200, issueJson(issue, fields && fields !== '*all' ? fields.split(',') : undefined));
      }
      if (!sub && method === 'PUT') {
        const problem = updateIssue(issue, body ?? {});
        return problem ? errors(res, 400, [], problem) : end(res, 204);
      }
      if (sub === '/comment' && method === 'GET') {
        const startAt = Number(url.searchParams.get('startAt') ?? 0);
        const maxResults = Math.min(Number(url.searchParams.get('maxResults') ?? 50), 50);
        const page = issue.comments.slice(startAt, startAt + maxResults);
        return send(res, 200, { startAt, maxResults, total: issue.comments.length, comments: page.map((c) => commentJson(issue, c)) });
      }
      if (sub === '/comment' && method === 'POST') {
        if (typeof body?.body !== 'string' || !body.body) return errors(res, 400, [], { comment: 'Comment body can not be empty!' });
        const c: FakeComment = { id: String(nextId++), body: body.body, author: { name: seen.user! }, created: new Date().toISOString() };
        issue.comments.push(c);
        return send(res, 201, commentJson(issue, c));
      }
      if (sub === '/transitions' && method === 'GET') {
        const from = issue.fields.status.name;
        return send(res, 200, {
          expand: 'transitions',
          transitions: workflow.transitions.filter((t) => t.from.includes(from)).map((t) => transitionJson(workflow, t)),
        });
      }
      if (sub === '/transitions' && method === 'POST') {
        const id = (body?.transition as { id?: string } | undefined)?.id;
        const t = workflow.transitions.find((x) => x.id === String(id) && x.from.includes(issue.fields.status.name));
        if (!t) return errors(res, 400, [`It seems that you have tried to perform a workflow operation (${String(id)}) that is not valid for the current state of this issue (${issue.key}).`]);
        const given = (body?.fields as { resolution?: { id?: string; name?: string } } | undefined)?.resolution;
        if (given && !t.requiresResolution) return errors(res, 400, [], { resolution: "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown." });
        const chosen = given && RESOLUTIONS.find((r) => r.id === given.id || r.name === given.name);
        if (t.requiresResolution && !given) return errors(res, 400, [], { resolution: 'Resolution is required.' });
        if (given && !chosen) return errors(res, 400, [], { resolution: `Resolution '${given.name ?? given.id}' is not valid.` });
        issue.fields.status = status(t.to);
        if (chosen) issue.fields.resolution = { id: chosen.id, name: chosen.name };
        else if (t.setsResolution !== undefined) issue.fields.resolution = t.setsResolution === null ? null : { name: t.setsResolution };
        const next = workflow.automation?.(t.to);
        if (next) issue.fields.status = status(next);
        const update = body?.update as { comment?: Array<{ add?: { body?: string } }> } | undefined;
        for (const op of update?.comment ?? []) {
          if (op.add?.body) issue.comments.push({ id: String(nextId++), body: op.add.body, author: { name: seen.user! }, created: new Date().toISOString() });
        }
        return end(res, 204);
      }
    }

    // Agile sprints
    if (method === 'POST' && path === '/rest/agile/1.0/sprint') {
      const b = body ?? {};
      const board = Number(b.originBoardId);
      if (!boards.has(board)) return errors(res, 400, [], { originBoardId: 'Board does not exist or you do not have permission to see it.' });
      if (typeof b.name !== 'string' || !b.name) return errors(res, 400, [], { name: 'Sprint name is required.' });
      const id = nextId++;
      const s: FakeSprint = {
        id, name: b.name, state: 'future', originBoardId: board, self: `${base}/rest/agile/1.0/sprint/${id}`,
        ...(typeof b.startDate === 'string' ? { startDate: b.startDate } : {}),
        ...(typeof b.endDate === 'string' ? { endDate: b.endDate } : {}),
        ...(typeof b.goal === 'string' ? { goal: b.goal } : {}),
      };
      sprints.push(s);
      return send(res, 201, s);
    }
    if (method === 'GET' && (m = /^\/rest\/agile\/1\.0\/board\/(\d+)\/sprint$/.exec(path))) {
      const board = Number(m[1]);
      if (!boards.has(board)) return errors(res, 404, [`The requested board cannot be viewed because it either does not exist or you do not have permission to view it.`]);
      const state = url.searchParams.get('state');
      const list = sprints.filter((s) => s.originBoardId === board && (!state || state.split(',').includes(s.state)));
      const startAt = Number(url.searchParams.get('startAt') ?? 0);
      const maxResults = Math.min(Number(url.searchParams.get('maxResults') ?? 50), 50);
      const values = list.slice(startAt, startAt + maxResults);
      return send(res, 200, { maxResults, startAt, isLast: startAt + values.length >= list.length, values });
    }
    return errors(res, 404, [`No fake route for ${method} ${path}`]);
  }

  /** Runs a JQL search; a string is JIRA's error message. */
  function search(params: Record<string, unknown>, cloudJql = false): { all: FakeIssue[]; fields?: string[] } | string {
    let filter;
    try {
      filter = compileJql(String(params.jql ?? ''), { projects: new Set(projects.keys()), versions: new Set(versions.map((v) => v.name)) });
    } catch (err) {
      return (err as Error).message;
    }
    if (cloudJql && !filter.bounded) return 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';
    const visible = issues.filter((i) => !hidden.has(i.key));
    for (const [key, n] of hidden) if (n <= 1) hidden.delete(key); else hidden.set(key, n - 1);
    const fields = Array.isArray(params.fields) ? (params.fields as string[]) : typeof params.fields === 'string' ? params.fields.split(',') : undefined;
    return { all: filter.order(visible.filter(filter.match)), fields };
  }

  function updateIssue(issue: FakeIssue, body: Record<string, unknown>): Record<string, string> | undefined {
    const project = issue.fields.project.key;
    const resolve = (ref: { name?: string; id?: string }): { id: string; name: string } | undefined => {
      const v = versions.find((x) => x.project === project && (x.name === ref.name || x.id === ref.id));
      return v && { id: v.id, name: v.name };
    };
    const fields = body.fields as { fixVersions?: Array<{ name?: string; id?: string }>; summary?: string } | undefined;
    const ops = (body.update as { fixVersions?: Array<Record<string, { name?: string; id?: string } | Array<{ name?: string; id?: string }>>> } | undefined)?.fixVersions ?? [];
    let fix = [...issue.fields.fixVersions];
    const refs = [...(fields?.fixVersions ?? []), ...ops.flatMap((op) => Object.values(op).flat())];
    const bad = refs.find((r) => !resolve(r));
    if (bad) return { fixVersions: `Version name '${bad.name ?? bad.id}' is not valid` };
    if (fields?.fixVersions) fix = fields.fixVersions.map((r) => resolve(r)!);
    for (const op of ops) {
      for (const [verb, arg] of Object.entries(op)) {
        const list = [arg].flat();
        if (verb === 'set') fix = list.map((r) => resolve(r)!);
        if (verb === 'add') for (const r of list) { const v = resolve(r)!; if (!fix.some((f) => f.id === v.id)) fix.push(v); }
        if (verb === 'remove') for (const r of list) { const v = resolve(r)!; fix = fix.filter((f) => f.id !== v.id); }
      }
    }
    issue.fields.fixVersions = fix;
    if (typeof fields?.summary === 'string') issue.fields.summary = fields.summary;
    return undefined;
  }

  function issueJson(i: FakeIssue, fields?: string[]): Record<string, unknown> {
    const all = i.fields as unknown as Record<string, unknown>;
    const picked = fields && !fields.includes('*all') ? Object.fromEntries(fields.filter((f) => f in all).map((f) => [f, all[f]])) : all;
    return { id: i.id, key: i.key, self: `${base}/rest/api/2/issue/${i.id}`, fields: picked };
  }

  function commentJson(issue: FakeIssue, c: FakeComment): Record<string, unknown> {
    return { ...c, self: `${base}/rest/api/2/issue/${issue.id}/comment/${c.id}` };
  }

  function authenticate(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const basic = /^Basic\s+(.+)$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      const [name, password] = [decoded.slice(0, i), decoded.slice(i + 1)];
      return i > 0 && options.users?.[name] === password ? name : undefined;
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(header);
    // Cloud takes API tokens only as Basic email:token; a Bearer API token is refused.
    return bearer && !cloud ? options.tokens?.[bearer[1]] : undefined;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    faults,
    requests,
    versions: (project) => versions.filter((v) => v.project === project),
    sprints: (board) => sprints.filter((s) => s.originBoardId === board),
    issue(key) {
      const i = issues.find((x) => x.key === key);
      if (!i) throw new Error(`fake JIRA has no issue ${key}`);
      return i;
    },
    issues: (project) => issues.filter((i) => i.fields.project.key === project),
    addIssue: (spec) => addIssue(spec).key,
    isDone(key) {
      const i = issues.find((x) => x.key === key);
      if (!i) throw new Error(`fake JIRA has no issue ${key}`);
      return i.fields.status.statusCategory.key === 'done';
    },
    processThenFail(spec) {
      failAfter.push({ ...spec, remaining: spec.count ?? 1 });
    },
    async close() {
      faults.reset();
      failAfter.length = 0;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: Sink, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function end(res: Sink, status: number): void {
  res.writeHead(status);
  res.end();
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}
