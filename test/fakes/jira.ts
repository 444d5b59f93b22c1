// A stateful fake of JIRA Server/Data Center REST (api/2 and agile/1.0) on 127.0.0.1, speaking
// the URIs and bodies jira-client sends: versions, JQL search (a small subset), issues, comments,
// transitions and sprints. Basic and bearer auth; fault switches from http-faults.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createFaultInjector, type FaultInjector } from './http-faults.js';

export interface FakeJiraOptions {
  /** username → password (Basic auth) */
  users?: Record<string, string>;
  /** bearer token → username */
  tokens?: Record<string, string>;
  /** project keys */
  projects: string[];
  /** agile board id → project key */
  boards?: Record<number, string>;
}

export interface FakeVersion { id: string; name: string; projectId: number; project: string; released: boolean; archived: boolean; releaseDate?: string; description?: string; self: string }
export interface FakeSprint { id: number; name: string; state: 'future' | 'active' | 'closed'; startDate?: string; endDate?: string; originBoardId: number; goal?: string; self: string }
export interface FakeComment { id: string; body: string; author: { name: string }; created: string }
export interface FakeIssue extends JqlIssue { id: string; comments: FakeComment[] }

export interface SeenRequest { method: string; path: string; user?: string; body?: unknown }

export interface FakeJira {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  faults: FaultInjector;
  requests: SeenRequest[];
  versions(project: string): FakeVersion[];
  sprints(board: number): FakeSprint[];
  issue(key: string): FakeIssue;
  issues(project: string): FakeIssue[];
  /** Seed an issue directly (as people do in the JIRA UI). Returns its key. */
  addIssue(spec: { project: string; summary: string; type?: string; fixVersion?: string; resolved?: boolean; labels?: string[] }): string;
  close(): Promise<void>;
}

const STATUSES = { open: 'Open', resolved: 'Resolved', closed: 'Closed', reopened: 'Reopened' };
const TRANSITIONS = [
  { id: '5', name: 'Resolve Issue', to: STATUSES.resolved, from: [STATUSES.open, STATUSES.reopened], resolves: true },
  { id: '2', name: 'Close Issue', to: STATUSES.closed, from: [STATUSES.open, STATUSES.reopened, STATUSES.resolved], resolves: true },
  { id: '3', name: 'Reopen Issue', to: STATUSES.reopened, from: [STATUSES.resolved, STATUSES.closed], resolves: false },
];

export async function startFakeJira(options: FakeJiraOptions): Promise<FakeJira> {
  const projects = new Map(options.projects.map((key, i) => [key, { key, id: 10000 + i }]));
  const boards = new Map(Object.entries(options.boards ?? {}).map(([id, key]) => [Number(id), key]));
  const versions: FakeVersion[] = [];
  const sprints: FakeSprint[] = [];
  const issues: FakeIssue[] = [];
  const counters = new Map<string, number>();
  let nextId = 10100;
  const faults = createFaultInjector({ body: (status) => ({ errorMessages: [`Injected fault: HTTP ${status}`], errors: {} }) });
  const requests: SeenRequest[] = [];
  let base = '';

  const errors = (res: ServerResponse, status: number, messages: string[], fieldErrors: Record<string, string> = {}): void =>
    send(res, status, { errorMessages: messages, errors: fieldErrors });

  function versionJson(v: FakeVersion): FakeVersion {
    return { ...v };
  }

  function addIssue(spec: { project: string; summary: string; type?: string; fixVersion?: string; resolved?: boolean; labels?: string[]; description?: string }): FakeIssue {
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
        status: { name: spec.resolved ? STATUSES.resolved : STATUSES.open },
        resolution: spec.resolved ? { name: 'Fixed' } : null,
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
    const user = authenticate(req.headers.authorization);
    if (!user) return errors(res, 401, ['You are not authenticated. Authentication required to perform this operation.']);
    seen.user = user;
    const method = req.method ?? 'GET';
    const path = url.pathname;
    let m: RegExpExecArray | null;

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
        if (typeof b.released === 'boolean') v.released = b.released;
        if (typeof b.releaseDate === 'string') v.releaseDate = b.releaseDate;
        if (typeof b.name === 'string') v.name = b.name;
        if (typeof b.description === 'string') v.description = b.description;
      }
      return send(res, 200, versionJson(v));
    }

    // Search
    if (path === '/rest/api/2/search' && (method === 'POST' || method === 'GET')) {
      const params = method === 'POST' ? body ?? {} : Object.fromEntries(url.searchParams);
      let filter;
      try {
        filter = compileJql(String(params.jql ?? ''), { projects: new Set(projects.keys()), versions: new Set(versions.map((v) => v.name)) });
      } catch (err) {
        return errors(res, 400, [(err as Error).message]);
      }
      const all = filter.order(issues.filter(filter.match));
      const startAt = Number(params.startAt ?? 0);
      const maxResults = Math.min(Number(params.maxResults ?? 50), 100);
      const fields = Array.isArray(params.fields) ? (params.fields as string[]) : typeof params.fields === 'string' ? params.fields.split(',') : undefined;
      return send(res, 200, {
        startAt, maxResults, total: all.length,
        issues: all.slice(startAt, startAt + maxResults).map((i) => issueJson(i, fields)),
      });
    }

    // Issues
    if (method === 'POST' && path === '/rest/api/2/issue') {
      const f = (body?.fields ?? {}) as Record<string, unknown>;
      const key = (f.project as { key?: string } | undefined)?.key;
      if (!key || !projects.has(key)) return errors(res, 400, [], { project: 'valid project is required' });
      if (typeof f.summary !== 'string' || !f.summary) return errors(res, 400, [], { summary: 'You must specify a summary of the issue.' });
      const labels = Array.isArray(f.labels) ? (f.labels as string[]) : [];
      if (labels.some((l) => /\s/.test(l))) return errors(res, 400, [], { labels: 'The label must not contain spaces.' });
      const issue = addIssue({
        project: key, summary: f.summary, type: (f.issuetype as { name?: string } | undefined)?.name ?? 'Task', labels,
        description: typeof f.description === 'string' ? f.description : undefined,
      });
      return send(res, 201, { id: issue.id, key: issue.key, self: `${base}/rest/api/2/issue/${issue.id}` });
    }
    if ((m = /^\/rest\/api\/2\/issue\/([^/]+)(\/comment|\/transitions)?$/.exec(path))) {
      const issue = issues.find((i) => i.key === m![1] || i.id === m![1]);
      if (!issue) return errors(res, 404, ['Issue Does Not Exist']);
      const sub = m[2];
      if (!sub && method === 'GET') return send(res, 200, issueJson(issue));
      if (!sub && method === 'PUT') {
        const problem = updateIssue(issue, body ?? {});
        return problem ? errors(res, 400, [], problem) : end(res, 204);
      }
      if (sub === '/comment' && method === 'GET') {
        return send(res, 200, { startAt: 0, maxResults: issue.comments.length, total: issue.comments.length, comments: issue.comments.map((c) => commentJson(issue, c)) });
      }
      if (sub === '/comment' && method === 'POST') {
        if (typeof body?.body !== 'string' || !body.body) return errors(res, 400, [], { comment: 'Comment body can not be empty!' });
        const c: FakeComment = { id: String(nextId++), body: body.body, author: { name: user }, created: new Date().toISOString() };
        issue.comments.push(c);
        return send(res, 201, commentJson(issue, c));
      }
      if (sub === '/transitions' && method === 'GET') {
        const status = issue.fields.status.name;
        return send(res, 200, {
          expand: 'transitions',
          transitions: TRANSITIONS.filter((t) => t.from.includes(status)).map((t) => ({ id: t.id, name: t.name, to: { name: t.to }, fields: {} })),
        });
      }
      if (sub === '/transitions' && method === 'POST') {
        const id = (body?.transition as { id?: string } | undefined)?.id;
        const t = TRANSITIONS.find((x) => x.id === String(id) && x.from.includes(issue.fields.status.name));
        if (!t) return errors(res, 400, [`It seems that you have tried to perform a workflow operation (${String(id)}) that is not valid for the current state of this issue (${issue.key}).`]);
        issue.fields.status = { name: t.to };
        issue.fields.resolution = t.resolves ? { name: 'Fixed' } : null;
        const update = body?.update as { comment?: Array<{ add?: { body?: string } }> } | undefined;
        for (const op of update?.comment ?? []) {
          if (op.add?.body) issue.comments.push({ id: String(nextId++), body: op.add.body, author: { name: user }, created: new Date().toISOString() });
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
    return bearer ? options.tokens?.[bearer[1]] : undefined;
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
    async close() {
      faults.reset();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function end(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

// --- A small JQL subset: clauses joined by AND, then an optional ORDER BY. ---------------------

/** The issue fields the JQL subset can see. */
export interface JqlIssue {
  key: string;
  fields: {
    summary: string;
    description: string | null;
    issuetype: { name: string };
    project: { key: string; id: string };
    labels: string[];
    fixVersions: Array<{ id: string; name: string }>;
    status: { name: string };
    resolution: { name: string } | null;
    created: string;
  };
}

interface CompiledJql {
  match: (issue: JqlIssue) => boolean;
  order: <T extends JqlIssue>(issues: T[]) => T[];
}

const TOKEN = /\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|!=|=|\(|\)|,|[A-Za-z0-9_.-]+)/y;

function values(issue: JqlIssue, field: string): string[] {
  const f = issue.fields;
  switch (field.toLowerCase()) {
    case 'project': return [f.project.key];
    case 'fixversion': return f.fixVersions.map((v) => v.name);
    case 'labels': return f.labels;
    case 'status': return [f.status.name];
    case 'resolution': return f.resolution ? [f.resolution.name] : [];
    case 'issuetype': case 'type': return [f.issuetype.name];
    case 'key': case 'issuekey': return [issue.key];
    default: throw new Error(`Field '${field}' does not exist or you do not have permission to view it.`);
  }
}

function compileJql(jql: string, known: { projects: Set<string>; versions: Set<string> }): CompiledJql {
  const [where, orderBy] = jql.split(/\s+ORDER\s+BY\s+|^ORDER\s+BY\s+/i);
  const tokens: string[] = [];
  let pos = 0;
  TOKEN.lastIndex = 0;
  for (let t = TOKEN.exec(where); t; t = TOKEN.exec(where)) { tokens.push(t[1]); pos = TOKEN.lastIndex; }
  if (where.slice(pos).trim()) throw new Error(`Error in the JQL Query: unexpected text '${where.slice(pos).trim()}'.`);
  let i = 0;
  const next = (): string => {
    if (i >= tokens.length) throw new Error('Error in the JQL Query: the query ended too early.');
    return tokens[i++];
  };
  const unquote = (v: string): string => (/^["']/.test(v) ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v);
  const check = (field: string, value: string): void => {
    const f = field.toLowerCase();
    if (f === 'project' && !known.projects.has(value)) throw new Error(`The value '${value}' does not exist for the field 'project'.`);
    if (f === 'fixversion' && !known.versions.has(value)) throw new Error(`The value '${value}' does not exist for the field 'fixVersion'.`);
  };
  const clauses: Array<(issue: JqlIssue) => boolean> = [];
  while (i < tokens.length) {
    if (clauses.length) {
      const and = next();
      if (and.toUpperCase() !== 'AND') throw new Error(`Error in the JQL Query: expecting 'AND' but got '${and}'.`);
    }
    const field = next();
    values({ key: '', fields: { summary: '', description: null, issuetype: { name: '' }, project: { key: '', id: '' }, labels: [], fixVersions: [], status: { name: '' }, resolution: null, created: '' } }, field);
    const op = next().toLowerCase();
    if (op === 'is') {
      let negate = false;
      let word = next();
      if (word.toLowerCase() === 'not') { negate = true; word = next(); }
      if (!/^(empty|null)$/i.test(word)) throw new Error(`Error in the JQL Query: expecting EMPTY but got '${word}'.`);
      clauses.push((issue) => (values(issue, field).length === 0) !== negate);
    } else if (op === '=' || op === '!=') {
      const value = unquote(next());
      check(field, value);
      clauses.push((issue) => values(issue, field).some((v) => v.toLowerCase() === value.toLowerCase()) === (op === '='));
    } else if (op === 'in' || op === 'not') {
      const negate = op === 'not';
      if (negate && next().toLowerCase() !== 'in') throw new Error("Error in the JQL Query: expecting 'in'.");
      if (next() !== '(') throw new Error("Error in the JQL Query: expecting '('.");
      const list: string[] = [];
      for (let t = next(); t !== ')'; t = next()) if (t !== ',') { const v = unquote(t); check(field, v); list.push(v.toLowerCase()); }
      clauses.push((issue) => values(issue, field).some((v) => list.includes(v.toLowerCase())) !== negate);
    } else {
      throw new Error(`Error in the JQL Query: the operator '${op}' is not supported by this fake.`);
    }
  }
  const [orderField = 'key', dir = 'ASC'] = (orderBy ?? '').trim().split(/\s+/).filter(Boolean);
  const sign = dir.toUpperCase() === 'DESC' ? -1 : 1;
  const sortKey = (issue: JqlIssue): number => (orderField.toLowerCase() === 'created' ? Date.parse(issue.fields.created) : Number(issue.key.split('-')[1]));
  return {
    match: (issue) => clauses.every((c) => c(issue)),
    order: (issues) => [...issues].sort((a, b) => sign * (sortKey(a) - sortKey(b)) || sign * (Number(a.key.split('-')[1]) - Number(b.key.split('-')[1]))),
  };
}
