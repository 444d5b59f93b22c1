// Turns zod issues into the problems a user reads: `dotted.path: message` in plain words,
// one problem per unknown key, with a "did you mean" when the key is a likely typo.
import { type z } from 'zod';
import { type ConfigProblem } from './errors.js';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];
type AnySchema = z.core.$ZodType;

/** Describes every zod issue of `schema` parsing `raw` as path-addressed problems. */
export function describeIssues(schema: AnySchema, raw: unknown, issues: readonly Issue[], prefix: Path = []): ConfigProblem[] {
  return issues.flatMap((issue) => describeIssue(schema, raw, issue, prefix));
}

function describeIssue(schema: AnySchema, raw: unknown, issue: Issue, prefix: Path): ConfigProblem[] {
  const path = [...prefix, ...issue.path];
  const at = (message: string, p: Path = path): ConfigProblem => ({ path: dotted(p), message });
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysAt(schema, path);
      return issue.keys.map((key) => at(unknownKeyMessage(key, allowed), [...path, key]));
    }
    case 'invalid_union': {
      if (issue.errors.length === 0) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        const present = valueAt(raw, path) !== undefined;
        const list = options.map(String).join(', ');
        return [at(present ? `must be one of: ${list}` : `is required (one of: ${list})`)];
      }
      // Report the alternative that came closest (fewest problems), as if it were the only one.
      const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
      return best.flatMap((inner) => describeIssue(schema, raw, inner, path));
    }
    case 'invalid_type': {
      const value = valueAt(raw, path);
      if (value === undefined) return [at('is required')];
      if (!isDefault(issue.message)) return [at(`${issue.message}, got ${describeValue(value)}`)];
      return [at(`expected ${typeName(issue.expected)}, got ${describeValue(value)}`)];
    }
    case 'invalid_value':
      return [at(isDefault(issue.message) ? `must be one of: ${issue.values.map(String).join(', ')}` : issue.message)];
    case 'too_small':
    case 'too_big':
      return [at(isDefault(issue.message) ? sizeMessage(issue) : issue.message)];
    default:
      return [at(isDefault(issue.message) ? lowerFirst(issue.message.replace(/^Invalid input: /, '')) : issue.message)];
  }
}

/** zod's built-in English messages start with one of these; schema-provided ones do not. */
function isDefault(message: string): boolean {
  return /^(Invalid|Too (small|big)|Unrecognized)/.test(message);
}

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      if (small && bound === 1) return 'must not be empty';
      return `must be at ${small ? 'least' : 'most'} ${bound} characters long`;
    case 'array':
    case 'set':
      if (small && bound === 1) return 'must list at least one item';
      return `must list at ${small ? 'least' : 'most'} ${bound} items`;
    default: {
      const word = small ? (inclusive ? 'at least' : 'greater than') : inclusive ? 'at most' : 'less than';
      return `must be ${word} ${bound}`;
    }
  }
}

function unknownKeyMessage(key: string, allowed: string[]): string {
  const guess = closest(key, allowed);
  if (guess) return `unknown key (did you mean "${guess}"?)`;
  return allowed.length > 0 ? `unknown key (allowed: ${allowed.join(', ')})` : 'unknown key';
}

function closest(key: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/** Edit distance counting a swap of two neighbours as one edit (`prot` → `port`). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping (key: value pairs)',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  date: 'a date',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** Names the kind of a wrong value; never echoes strings (a misplaced secret must not leak). */
function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function dotted(path: Path): string {
  return path.map(String).join('.');
}

function valueAt(raw: unknown, path: Path): unknown {
  let current = raw;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
  getter?: () => AnySchema;
}

const def = (schema: AnySchema): Def => schema._zod.def as unknown as Def;

/** Strips optional/default/pipe/lazy wrappers down to the structural schema. */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const d = def(current);
    if (d.innerType) current = d.innerType;
    else if (d.type === 'pipe' && d.in) current = d.in;
    else if (d.type === 'lazy' && d.getter) current = d.getter();
    else return current;
  }
}

/** The schemas that may apply at `path` (several below a union). */
function schemasAt(schema: AnySchema, path: Path): AnySchema[] {
  const s = unwrap(schema);
  const d = def(s);
  if (d.type === 'union' && d.options) return d.options.flatMap((o) => schemasAt(o, path));
  if (path.length === 0) return [s];
  const [head, ...rest] = path;
  const next =
    d.type === 'object' ? d.shape?.[String(head)] : d.type === 'array' ? d.element : d.type === 'record' ? d.valueType : undefined;
  return next ? schemasAt(next, rest) : [];
}

function keysAt(schema: AnySchema, path: Path): string[] {
  const keys = schemasAt(schema, path).flatMap((s) => Object.keys(def(s).shape ?? {}));
  return [...new Set(keys)];
}
