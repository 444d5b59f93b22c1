// Allocations (project id → allocation end date) from a YAML or CSV file or an HTTP JSON endpoint.
// Every row is validated; errors name the source, the line or item, and the field.
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq } from 'yaml';
import { z } from 'zod';
import { type Allocation } from '../workflows/lifecycle-types.js';

/** Where allocations come from (the `lifecycle.allocations` config). */
export type AllocationSource =
  | { file: string }
  | { url: string; /** Environment variable holding a bearer token. */ tokenEnv?: string; /** Duration such as `1m`; in ms via timeoutMs. */ timeoutMs?: number };

/** Why allocations could not be loaded. `unavailable` is worth retrying; the others are not. */
export type AllocationsErrorKind = 'invalid' | 'not-found' | 'denied' | 'unavailable';

/** Allocations could not be loaded; `problems` lists every bad row (the message shows them all). */
export class AllocationsError extends Error {
  override readonly name = 'AllocationsError';
  constructor(
    readonly kind: AllocationsErrorKind,
    /** File name or URL (without query string) the allocations came from. */
    readonly source: string,
    readonly problems: string[],
    /** For `unavailable`: how long the server asked us to wait (Retry-After), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(problems.join('\n'));
  }
}

/** The port: loads and validates allocations from a source. */
export interface AllocationLoader {
  load(source: AllocationSource, signal?: AbortSignal): Promise<Allocation[]>;
}

/** Options of {@link createAllocationLoader}. */
export interface AllocationLoaderOptions {
  /** Relative file paths are resolved against this directory (the config file's). */
  baseDir: string;
  /** Environment to read `tokenEnv` from (the worker passes process.env). */
  env?: Record<string, string | undefined>;
  /** Default HTTP timeout; 60 s. */
  timeoutMs?: number;
}

const MAX_PROBLEMS = 20;

const text = (): z.ZodString => z.string({ error: (i) => (i.input === undefined ? 'is missing' : `must be text, got ${JSON.stringify(i.input)}`) });

const rowSchema = z.object({
  projectId: text().trim()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: (i) => `"${String(i.input)}" is not a project id (letters, digits, "_", ".", "-")` }),
  endDate: text().trim().refine((v) => isDate(v), { error: (i) => `"${String(i.input)}" is not a date (use YYYY-MM-DD)` }).transform(normalizeDate),
  contactEmail: z.email({ error: (i) => `"${String(i.input)}" is not an email address` }).optional(),
});

const ALIASES: Record<string, keyof z.infer<typeof rowSchema>> = {
  projectid: 'projectId', project_id: 'projectId', project: 'projectId',
  enddate: 'endDate', end_date: 'endDate', end: 'endDate', allocation_end: 'endDate',
  contactemail: 'contactEmail', contact_email: 'contactEmail', contact: 'contactEmail', email: 'contactEmail',
};

/** Builds the loader over the file system and `fetch`. */
export function createAllocationLoader(options: AllocationLoaderOptions): AllocationLoader {
  return {
    async load(source, signal) {
      if ('file' in source) return loadFile(resolve(options.baseDir, source.file));
      return loadUrl(source, options, signal);
    },
  };
}

async function loadFile(path: string): Promise<Allocation[]> {
  const name = basename(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AllocationsError(code === 'ENOENT' ? 'not-found' : 'invalid', name,
      [code === 'ENOENT' ? `${name}: allocations file not found: ${path}` : `${name}: cannot read allocations file: ${(error as Error).message}`]);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return parseAllocationsCsv(text, name);
  if (ext === '.yaml' || ext === '.yml') return parseAllocationsYaml(text, name);
  if (ext === '.json') return parseAllocationsJson(parseJson(text, name), name);
  throw new AllocationsError('invalid', name, [`${name}: unknown allocations format "${ext}": use .csv, .yaml, .yml or .json`]);
}

async function loadUrl(source: Extract<AllocationSource, { url: string }>, options: AllocationLoaderOptions, signal?: AbortSignal): Promise<Allocation[]> {
  const url = new URL(source.url);
  const name = `${url.origin}${url.pathname}`; // never the query string or credentials
  const headers: Record<string, string> = { accept: 'application/json' };
  if (source.tokenEnv) {
    const token = options.env?.[source.tokenEnv];
    if (!token) throw new AllocationsError('denied', name, [`${name}: environment variable ${source.tokenEnv} (lifecycle.allocations.tokenEnv) is not set`]);
    headers.authorization = `Bearer ${token}`;
  }
  const timeoutMs = source.timeoutMs ?? options.timeoutMs ?? 60_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (error) {
    const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : signal?.aborted ? 'cancelled' : (error as Error).message;
    throw new AllocationsError('unavailable', name, [`${name}: allocations endpoint unreachable: ${why}`]);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const status = `${response.status} ${response.statusText}`.trim();
    if (response.status === 401 || response.status === 403) throw new AllocationsError('denied', name, [`${name}: allocations endpoint refused access (${status})`]);
    if (response.status === 404) throw new AllocationsError('not-found', name, [`${name}: allocations endpoint not found (${status})`]);
    const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new AllocationsError(retryable ? 'unavailable' : 'invalid', name, [`${name}: allocations endpoint answered ${status}`],
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
  }
  const text = await response.text();
  return parseAllocationsJson(parseJson(text, name), name);
}

/** Parses a CSV with a header row (`projectId,endDate,contactEmail`; snake_case works too). */
export function parseAllocationsCsv(text: string, name: string): Allocation[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (headerIndex < 0) return [];
  const header = splitCsvLine(lines[headerIndex]).map((h) => ALIASES[h.trim().toLowerCase().replace(/[\s-]/g, '_')] ?? ALIASES[h.trim().toLowerCase()]);
  const missing = (['projectId', 'endDate'] as const).filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new AllocationsError('invalid', name, [`${name} line ${headerIndex + 1}: the header has no ${missing.join(' or ')} column (expected projectId,endDate[,contactEmail])`]);
  }
  const rows: { where: string; value: Record<string, string> }[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const cells = splitCsvLine(line);
    const value: Record<string, string> = {};
    header.forEach((col, c) => { if (col && cells[c] !== undefined && cells[c].trim() !== '') value[col] = cells[c].trim(); });
    rows.push({ where: `${name} line ${i + 1}`, value });
  }
  return validateRows(rows, name);
}

/** Parses YAML: a list of rows, or `{ allocations: [...] }`. Errors give the line of the row. */
export function parseAllocationsYaml(text: string, name: string): Allocation[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const at = lineCounter.linePos(e.pos[0]);
    throw new AllocationsError('invalid', name, [`${name} line ${at.line}: not valid YAML: ${e.message.split('\n')[0]}`]);
  }
  let seq: unknown = doc.contents;
  if (isMap(seq)) seq = seq.get('allocations', true);
  if (seq === null || seq === undefined) return [];
  if (!isSeq(seq)) throw new AllocationsError('invalid', name, [`${name}: expected a list of allocations (or allocations: [...])`]);
  const rows = seq.items.map((node, i) => {
    const offset = (node as { range?: [number, number, number] }).range?.[0];
    const line = offset !== undefined ? ` line ${lineCounter.linePos(offset).line}` : '';
    const value: unknown = (node as { toJSON?: () => unknown }).toJSON ? (node as { toJSON: () => unknown }).toJSON() : node;
    return { where: `${name}${line} (item ${i + 1})`, value: renameKeys(value) };
  });
  return validateRows(rows, name);
}

/** Validates a parsed JSON document: a list of rows, or `{ allocations: [...] }`. */
export function parseAllocationsJson(value: unknown, name: string): Allocation[] {
  const list = Array.isArray(value) ? value : (value as { allocations?: unknown } | null)?.allocations;
  if (!Array.isArray(list)) throw new AllocationsError('invalid', name, [`${name}: expected a JSON list of allocations (or { "allocations": [...] })`]);
  return validateRows(list.map((v, i) => ({ where: `${name} item ${i + 1}`, value: renameKeys(v) })), name);
}

function validateRows(rows: { where: string; value: unknown }[], name: string): Allocation[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const out: Allocation[] = [];
  for (const row of rows) {
    if (typeof row.value !== 'object' || row.value === null || Array.isArray(row.value)) {
      problems.push(`${row.where}: expected projectId, endDate and optionally contactEmail`);
      continue;
    }
    const parsed = rowSchema.safeParse(row.value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${row.where}: ${issue.path.join('.')} ${issue.message}`);
      continue;
    }
    const earlier = seen.get(parsed.data.projectId);
    if (earlier) {
      problems.push(`${row.where}: projectId "${parsed.data.projectId}" is already listed at ${earlier}`);
      continue;
    }
    seen.set(parsed.data.projectId, row.where.replace(`${name} `, ''));
    out.push(parsed.data.contactEmail ? parsed.data : { projectId: parsed.data.projectId, endDate: parsed.data.endDate });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS) shown.push(`… and ${problems.length - MAX_PROBLEMS} more problems in ${name}`);
    throw new AllocationsError('invalid', name, shown);
  }
  return out.sort((a, b) => (a.projectId < b.projectId ? -1 : a.projectId > b.projectId ? 1 : 0));
}

function renameKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [ALIASES[k.toLowerCase()] ?? k, v]));
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AllocationsError('invalid', name, [`${name}: not valid JSON: ${(error as Error).message}`]);
  }
}

/** One CSV line: commas, double-quoted fields with "" escapes. */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { cells.push(cur); cur = ''; } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

function isDate(v: string): boolean {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v);
  if (!dateOnly && !dateTime) return false;
  const day = v.slice(0, 10);
  const t = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === day && !Number.isNaN(Date.parse(v));
}

function normalizeDate(v: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : new Date(Date.parse(v)).toISOString();
}
