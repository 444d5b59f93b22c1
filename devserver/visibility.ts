// Search attributes and the List/Count query language (a practical subset of Temporal's SQL-like
// visibility queries: AND/OR, parentheses, = != > >= < <= IN, STARTS_WITH, IS NULL; ORDER BY ignored).
import { invalidArgument, type Msg } from './proto.js';
import type { Run } from './types.js';

export type IndexedValueType =
  | 'INDEXED_VALUE_TYPE_TEXT'
  | 'INDEXED_VALUE_TYPE_KEYWORD'
  | 'INDEXED_VALUE_TYPE_INT'
  | 'INDEXED_VALUE_TYPE_DOUBLE'
  | 'INDEXED_VALUE_TYPE_BOOL'
  | 'INDEXED_VALUE_TYPE_DATETIME'
  | 'INDEXED_VALUE_TYPE_KEYWORD_LIST';

const SYSTEM: Record<string, IndexedValueType> = {
  WorkflowType: 'INDEXED_VALUE_TYPE_KEYWORD',
  WorkflowId: 'INDEXED_VALUE_TYPE_KEYWORD',
  RunId: 'INDEXED_VALUE_TYPE_KEYWORD',
  ExecutionStatus: 'INDEXED_VALUE_TYPE_KEYWORD',
  TaskQueue: 'INDEXED_VALUE_TYPE_KEYWORD',
  StartTime: 'INDEXED_VALUE_TYPE_DATETIME',
  CloseTime: 'INDEXED_VALUE_TYPE_DATETIME',
  ExecutionTime: 'INDEXED_VALUE_TYPE_DATETIME',
  HistoryLength: 'INDEXED_VALUE_TYPE_INT',
  ParentWorkflowId: 'INDEXED_VALUE_TYPE_KEYWORD',
  ParentRunId: 'INDEXED_VALUE_TYPE_KEYWORD',
  RootWorkflowId: 'INDEXED_VALUE_TYPE_KEYWORD',
  RootRunId: 'INDEXED_VALUE_TYPE_KEYWORD',
  TemporalChangeVersion: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
  BinaryChecksums: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
  BuildIds: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
  BatcherUser: 'INDEXED_VALUE_TYPE_KEYWORD',
  TemporalScheduledStartTime: 'INDEXED_VALUE_TYPE_DATETIME',
  TemporalScheduledById: 'INDEXED_VALUE_TYPE_KEYWORD',
  TemporalSchedulePaused: 'INDEXED_VALUE_TYPE_BOOL',
  TemporalNamespaceDivision: 'INDEXED_VALUE_TYPE_KEYWORD',
  TemporalWorkerDeployment: 'INDEXED_VALUE_TYPE_KEYWORD',
  TemporalWorkerDeploymentVersion: 'INDEXED_VALUE_TYPE_KEYWORD',
  TemporalWorkflowVersioningBehavior: 'INDEXED_VALUE_TYPE_KEYWORD',
};

/** The dev server's pre-registered custom attributes. */
const DEFAULT_CUSTOM: Record<string, IndexedValueType> = {
  CustomKeywordField: 'INDEXED_VALUE_TYPE_KEYWORD',
  CustomStringField: 'INDEXED_VALUE_TYPE_TEXT',
  CustomTextField: 'INDEXED_VALUE_TYPE_TEXT',
  CustomIntField: 'INDEXED_VALUE_TYPE_INT',
  CustomDoubleField: 'INDEXED_VALUE_TYPE_DOUBLE',
  CustomBoolField: 'INDEXED_VALUE_TYPE_BOOL',
  CustomDatetimeField: 'INDEXED_VALUE_TYPE_DATETIME',
};

const STATUS_NAMES: Record<string, string> = {
  Running: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
  Completed: 'WORKFLOW_EXECUTION_STATUS_COMPLETED',
  Failed: 'WORKFLOW_EXECUTION_STATUS_FAILED',
  Canceled: 'WORKFLOW_EXECUTION_STATUS_CANCELED',
  Terminated: 'WORKFLOW_EXECUTION_STATUS_TERMINATED',
  ContinuedAsNew: 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW',
  TimedOut: 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT',
};

/** System attributes only the server writes (BuildIds: devserver/build-ids.ts). */
const SERVER_MANAGED = new Set(['BuildIds']);

export class SearchAttributeRegistry {
  readonly custom = new Map<string, IndexedValueType>(Object.entries(DEFAULT_CUSTOM));

  typeOf(name: string): IndexedValueType | undefined {
    return SYSTEM[name] ?? this.custom.get(name);
  }

  system(): Record<string, IndexedValueType> {
    return { ...SYSTEM };
  }

  add(attrs: Record<string, string>): void {
    for (const [name, type] of Object.entries(attrs)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalidArgument(`Search attribute name ${JSON.stringify(name)} is not valid.`);
      if (SYSTEM[name]) throw invalidArgument(`Search attribute ${name} is reserved by the system.`);
      const existing = this.custom.get(name);
      if (existing && existing !== type) throw invalidArgument(`Search attribute ${name} already exists with type ${existing}.`);
      if (!String(type).startsWith('INDEXED_VALUE_TYPE_') || type === 'INDEXED_VALUE_TYPE_UNSPECIFIED') {
        throw invalidArgument(`Search attribute ${name} has an invalid type ${String(type)}.`);
      }
      this.custom.set(name, type as IndexedValueType);
    }
  }

  remove(names: string[]): void {
    for (const name of names) {
      if (!this.custom.delete(name)) throw invalidArgument(`Search attribute ${name} doesn't exist.`);
    }
  }

  /**
   * Checks every attribute is registered; returns the attributes, each payload carrying its
   * registered type in the `type` metadata as the real server sets it, or an error message.
   */
  validate(fields: Record<string, Msg>): Record<string, Msg> | string {
    const typed: Record<string, Msg> = {};
    for (const [name, payload] of Object.entries(fields)) {
      // server-managed: the real server refuses them from users (start, upsert, continue-as-new)
      if (SERVER_MANAGED.has(name)) return `${name} attribute can't be set in SearchAttributes`;
      const t = this.typeOf(name);
      if (!t) return `search attribute ${name} is not defined`;
      typed[name] = withType(payload, t);
    }
    return typed;
  }
}

const TYPE_NAMES: Record<IndexedValueType, string> = {
  INDEXED_VALUE_TYPE_TEXT: 'Text',
  INDEXED_VALUE_TYPE_KEYWORD: 'Keyword',
  INDEXED_VALUE_TYPE_INT: 'Int',
  INDEXED_VALUE_TYPE_DOUBLE: 'Double',
  INDEXED_VALUE_TYPE_BOOL: 'Bool',
  INDEXED_VALUE_TYPE_DATETIME: 'Datetime',
  INDEXED_VALUE_TYPE_KEYWORD_LIST: 'KeywordList',
};

function withType(payload: Msg, t: IndexedValueType): Msg {
  if (!payload?.data || (payload.data as Uint8Array).length === 0) return payload; // an unset (removal)
  return { ...payload, metadata: { ...(payload.metadata ?? {}), type: Buffer.from(TYPE_NAMES[t] ?? 'Keyword') } };
}

/** A search attribute payload of type `type` as the server writes one (JSON data, its type in the metadata). */
export function searchAttributePayload(type: IndexedValueType, value: unknown): Msg {
  return { metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from(TYPE_NAMES[type]) }, data: Buffer.from(JSON.stringify(value)) };
}

/** A Keyword payload as the server writes one (e.g. a GROUP BY value). */
export function keywordPayload(value: string): Msg {
  return searchAttributePayload('INDEXED_VALUE_TYPE_KEYWORD', value);
}

/** ExecutionStatus as visibility names it (Running, Completed ...). */
export function statusName(status: string): string {
  return Object.entries(STATUS_NAMES).find(([, v]) => v === status)?.[0] ?? status;
}

/** Decodes a search attribute payload (JSON data) to a JS value. */
export function payloadValue(p: Msg | undefined): unknown {
  if (!p?.data) return undefined;
  try {
    return JSON.parse(Buffer.from(p.data as Uint8Array).toString('utf8'));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- query language

type Token = { kind: 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'kw'; value: string };

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', value: c });
      i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < q.length && q[j] !== c) {
        if (q[j] === '\\' && j + 1 < q.length) j++;
        s += q[j];
        j++;
      }
      if (j >= q.length) throw invalidArgument(`invalid query: unterminated string starting at ${i}`);
      tokens.push({ kind: 'string', value: s });
      i = j + 1;
    } else if (/[=!<>]/.test(c)) {
      const two = q.slice(i, i + 2);
      const op = ['!=', '>=', '<=', '<>'].includes(two) ? two : c;
      if (op === '!') throw invalidArgument(`invalid query: unexpected "!" at ${i}`);
      tokens.push({ kind: 'op', value: op === '<>' ? '!=' : op });
      i += op.length;
    } else if (/[-0-9.]/.test(c)) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(q.slice(i));
      if (!m) throw invalidArgument(`invalid query: unexpected "${c}" at ${i}`);
      tokens.push({ kind: 'number', value: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_`]/.test(c)) {
      const m = /^`?[A-Za-z_][A-Za-z0-9_]*`?/.exec(q.slice(i))!;
      const word = m[0].replace(/`/g, '');
      const upper = word.toUpperCase();
      if (['AND', 'OR', 'IN', 'NOT', 'IS', 'NULL', 'ORDER', 'BY', 'ASC', 'DESC', 'STARTS_WITH', 'TRUE', 'FALSE'].includes(upper) && !m[0].startsWith('`')) {
        tokens.push({ kind: 'kw', value: upper });
      } else {
        tokens.push({ kind: 'ident', value: word });
      }
      i += m[0].length;
    } else {
      throw invalidArgument(`invalid query: unexpected "${c}" at ${i}`);
    }
  }
  return tokens;
}

export type Predicate = (run: Run) => boolean;

/** Parses a visibility query into a predicate over runs. */
export function parseQuery(query: string, registry: SearchAttributeRegistry): Predicate {
  const tokens = tokenize(query ?? '');
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expectKw = (kw: string) => {
    const t = next();
    if (t?.kind !== 'kw' || t.value !== kw) throw invalidArgument(`invalid query: expected ${kw}`);
  };

  const value = (): unknown => {
    const t = next();
    if (!t) throw invalidArgument('invalid query: expected a value');
    if (t.kind === 'string') return t.value;
    if (t.kind === 'number') return Number(t.value);
    if (t.kind === 'kw' && (t.value === 'TRUE' || t.value === 'FALSE')) return t.value === 'TRUE';
    throw invalidArgument(`invalid query: expected a value, got "${t.value}"`);
  };

  const comparison = (): Predicate => {
    const t = next();
    if (t?.kind === 'lparen') {
      const p = orExpr();
      if (next()?.kind !== 'rparen') throw invalidArgument('invalid query: missing ")"');
      return p;
    }
    if (t?.kind !== 'ident') throw invalidArgument(`invalid query: expected a search attribute name${t ? `, got "${t.value}"` : ''}`);
    const name = t.value;
    const type = registry.typeOf(name);
    if (!type) throw invalidArgument(`invalid query: search attribute ${name} is not defined`);
    const get = (run: Run) => attributeOf(run, name);
    const op = next();
    if (op?.kind === 'op') {
      const v = normalize(name, value());
      return (run) => compare(get(run), op.value, v, type);
    }
    const inList = (): Predicate => {
      if (next()?.kind !== 'lparen') throw invalidArgument('invalid query: expected "(" after IN');
      const values: unknown[] = [normalize(name, value())];
      while (peek()?.kind === 'comma') {
        next();
        values.push(normalize(name, value()));
      }
      if (next()?.kind !== 'rparen') throw invalidArgument('invalid query: missing ")"');
      return (run) => values.some((v) => compare(get(run), '=', v, type));
    };
    if (op?.kind === 'kw' && op.value === 'IN') return inList();
    if (op?.kind === 'kw' && op.value === 'NOT') {
      expectKw('IN');
      const inner = inList();
      return (run) => !inner(run);
    }
    if (op?.kind === 'kw' && op.value === 'STARTS_WITH') {
      const v = String(value());
      return (run) => {
        const x = get(run);
        return Array.isArray(x) ? x.some((e) => String(e).startsWith(v)) : typeof x === 'string' && x.startsWith(v);
      };
    }
    if (op?.kind === 'kw' && op.value === 'IS') {
      let negate = false;
      if (peek()?.value === 'NOT') {
        next();
        negate = true;
      }
      expectKw('NULL');
      return (run) => (get(run) === undefined) !== negate;
    }
    throw invalidArgument(`invalid query: expected an operator after ${name}`);
  };

  const andExpr = (): Predicate => {
    let left = comparison();
    while (peek()?.kind === 'kw' && peek()!.value === 'AND') {
      next();
      const l = left;
      const r = comparison();
      left = (run) => l(run) && r(run);
    }
    return left;
  };

  const orExpr = (): Predicate => {
    let left = andExpr();
    while (peek()?.kind === 'kw' && peek()!.value === 'OR') {
      next();
      const l = left;
      const r = andExpr();
      left = (run) => l(run) || r(run);
    }
    return left;
  };

  if (tokens.length === 0) return () => true;
  if (tokens[0]?.kind === 'kw' && tokens[0].value === 'ORDER') return () => true;
  const predicate = orExpr();
  if (pos < tokens.length && !(peek()?.kind === 'kw' && peek()!.value === 'ORDER')) {
    throw invalidArgument(`invalid query: unexpected "${peek()!.value}"`);
  }
  return predicate;
}

function normalize(name: string, v: unknown): unknown {
  if (name === 'ExecutionStatus' && typeof v === 'string') {
    const status = STATUS_NAMES[v];
    if (!status) throw invalidArgument(`invalid query: invalid ExecutionStatus value "${v}"`);
    return status;
  }
  return v;
}

function attributeOf(run: Run, name: string): unknown {
  switch (name) {
    case 'WorkflowType':
      return run.workflowType;
    case 'WorkflowId':
      return run.workflowId;
    case 'RunId':
      return run.runId;
    case 'ExecutionStatus':
      return run.status;
    case 'TaskQueue':
      return run.taskQueue;
    case 'StartTime':
      return run.startTime;
    case 'CloseTime':
      return run.closeTime;
    case 'ExecutionTime':
      return run.executionTime;
    case 'HistoryLength':
      return run.history.length;
    case 'ParentWorkflowId':
      return run.parent?.workflowId;
    case 'ParentRunId':
      return run.parent?.runId;
    case 'RootWorkflowId':
      return run.root?.workflowId ?? run.workflowId;
    case 'RootRunId':
      return run.root?.runId ?? run.runId;
    default:
      return payloadValue(run.searchAttributes[name]);
  }
}

function compare(actual: unknown, op: string, expected: unknown, type: IndexedValueType): boolean {
  if (actual === undefined || actual === null) return op === '!=';
  if (Array.isArray(actual)) {
    const has = actual.some((a) => compare(a, '=', expected, type));
    return op === '!=' ? !has : op === '=' ? has : false;
  }
  let a: unknown = actual;
  let e: unknown = expected;
  if (type === 'INDEXED_VALUE_TYPE_DATETIME') {
    a = typeof actual === 'number' ? actual : Date.parse(String(actual));
    e = typeof expected === 'number' ? expected : Date.parse(String(expected));
  }
  switch (op) {
    case '=':
      return a === e;
    case '!=':
      return a !== e;
    case '>':
      return (a as number) > (e as number);
    case '>=':
      return (a as number) >= (e as number);
    case '<':
      return (a as number) < (e as number);
    case '<=':
      return (a as number) <= (e as number);
    default:
      return false;
  }
}
