// The small JQL subset the JIRA fake understands: clauses joined by AND, then an optional ORDER BY.

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
    status: { name: string; statusCategory: { id: number; key: 'new' | 'indeterminate' | 'done'; name: string } };
    resolution: { id?: string; name: string } | null;
    created: string;
  };
}

export interface CompiledJql {
  /** Whether the query restricts anything (Jira Cloud refuses unbounded queries on search/jql). */
  bounded: boolean;
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
    case 'statuscategory': return [f.status.statusCategory.name, f.status.statusCategory.key, String(f.status.statusCategory.id)];
    case 'resolution': return f.resolution ? [f.resolution.name] : [];
    case 'issuetype': case 'type': return [f.issuetype.name];
    case 'key': case 'issuekey': return [issue.key];
    default: throw new Error(`Field '${field}' does not exist or you do not have permission to view it.`);
  }
}

const PROBE: JqlIssue = {
  key: '', fields: {
    summary: '', description: null, issuetype: { name: '' }, project: { key: '', id: '' }, labels: [], fixVersions: [],
    status: { name: '', statusCategory: { id: 2, key: 'new', name: 'To Do' } }, resolution: null, created: '',
  },
};

/** Compiles `jql`; throws with JIRA's wording on what it cannot parse or does not know. */
export function compileJql(jql: string, known: { projects: Set<string>; versions: Set<string> }): CompiledJql {
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
    if (f === 'statuscategory' && !['to do', 'new', 'in progress', 'indeterminate', 'done', '2', '3', '4'].includes(value.toLowerCase())) {
      throw new Error(`The value '${value}' does not exist for the field 'statusCategory'.`);
    }
  };
  const clauses: Array<(issue: JqlIssue) => boolean> = [];
  while (i < tokens.length) {
    if (clauses.length) {
      const and = next();
      if (and.toUpperCase() !== 'AND') throw new Error(`Error in the JQL Query: expecting 'AND' but got '${and}'.`);
    }
    const field = next();
    values(PROBE, field);
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
    bounded: clauses.length > 0,
    match: (issue) => clauses.every((c) => c(issue)),
    order: (issues) => [...issues].sort((a, b) => sign * (sortKey(a) - sortKey(b)) || sign * (Number(a.key.split('-')[1]) - Number(b.key.split('-')[1]))),
  };
}
