// The --db file: an append-only log of NDJSON records behind a version header. Each record is
// the current state of one thing under a key (a run without its history, a piece of a run's
// history, a namespace, the search attribute registry, a schedule); on reading, the last record of each key
// wins. Appends are grouped (one write + one fsync
// per commit); when the file holds more than twice its live records it is rewritten with only
// them (temp file in the same directory, fsync, rename, fsync of the directory).
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const DB_VERSION = 3;
/** Versions this stratus reads: 2 kept each run's whole history in its run record (rewritten as 3 on open). */
const READABLE_VERSIONS = [2, 3];
const HEADER_KEY = 'stratusDevDb';

/** One line of the log: `t` is the record's kind, `k` its key (last one wins). */
export interface DbRecord {
  /** 'gone': the record of key `k` was deleted (a deleted run, a deleted schedule: a restore skips it) */
  t: 'run' | 'ev' | 'ns' | 'sa' | 'sched' | 'gone';
  k: string;
  [field: string]: unknown;
}

/** What reading the file found. */
export interface LoadedLog {
  /** the last record of every key, in the order they were last written */
  records: Map<string, DbRecord>;
  /** bytes of the live lines (header included) */
  liveBytes: number;
  /** bytes of the last line of every key */
  sizes: Map<string, number>;
  /** bytes of the file that are kept (a torn last line excluded) */
  fileBytes: number;
  /** a version-1 JSON snapshot found instead of a log (converted by the caller) */
  legacySnapshot?: unknown;
  /** a torn last line was dropped */
  torn: boolean;
  /** the version in the file's header (0 for a legacy snapshot) */
  version: number;
}

export class DbFileError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`cannot read the state file ${file}: ${detail}`);
    this.name = 'DbFileError';
  }
}

export function headerLine(): string {
  return `${JSON.stringify({ [HEADER_KEY]: DB_VERSION, created: new Date().toISOString() })}\n`;
}

/** Reads and checks a log; `warn` hears about a torn last line (a crash in the middle of a write). */
export function readLog(file: string, warn: (msg: string) => void): LoadedLog {
  const text = readFileSync(file, 'utf8');
  const records = new Map<string, DbRecord>();
  const sizes = new Map<string, number>();
  const firstEnd = text.indexOf('\n');
  const first = firstEnd < 0 ? text : text.slice(0, firstEnd);
  const header = parseLine(first);
  const whatToDo = 'move it away (or pass another --db FILE) to start with an empty db';
  if (!header || typeof header !== 'object') {
    throw new DbFileError(file, `it is not a stratus db (its first line is not a {"${HEADER_KEY}":${DB_VERSION}} header); ${whatToDo}`);
  }
  const h = header as Record<string, unknown>;
  if (!(HEADER_KEY in h)) {
    if (h.version === 1 && Array.isArray(h.runs)) return { records, sizes, liveBytes: 0, fileBytes: 0, legacySnapshot: header, torn: false, version: 0 };
    throw new DbFileError(file, `it is not a stratus db (its first line is not a {"${HEADER_KEY}":${DB_VERSION}} header); ${whatToDo}`);
  }
  if (!READABLE_VERSIONS.includes(h[HEADER_KEY] as number)) {
    throw new DbFileError(file, `db version ${JSON.stringify(h[HEADER_KEY])} is not supported (this stratus reads versions ${READABLE_VERSIONS.join(' and ')}); use the stratus that wrote it, or ${whatToDo}`);
  }
  let pos = firstEnd < 0 ? text.length : firstEnd + 1;
  let keptBytes = Buffer.byteLength(text.slice(0, pos));
  const liveHeader = keptBytes;
  let torn = false;
  for (let lineNo = 2; pos < text.length; lineNo++) {
    const end = text.indexOf('\n', pos);
    const line = end < 0 ? text.slice(pos) : text.slice(pos, end);
    const next = end < 0 ? text.length : end + 1;
    const rec = parseLine(line) as DbRecord | undefined;
    const valid = !!rec && typeof rec === 'object' && typeof rec.k === 'string' && typeof rec.t === 'string';
    if (!valid) {
      if (end < 0) {
        warn(`${file}: line ${lineNo} is incomplete (the server stopped in the middle of a write); it is ignored`);
        torn = true;
        break;
      }
      if (line.trim() === '') {
        pos = next;
        keptBytes += Buffer.byteLength(line) + 1;
        continue;
      }
      throw new DbFileError(file, `line ${lineNo} is corrupt (not a db record); restore the file from a backup or ${whatToDo}`);
    }
    const bytes = Buffer.byteLength(line) + 1;
    records.delete(rec.k); // keep the order of last writes
    records.set(rec.k, rec);
    sizes.set(rec.k, bytes);
    keptBytes += bytes;
    pos = next;
  }
  let liveBytes = liveHeader;
  for (const n of sizes.values()) liveBytes += n;
  return { records, sizes, liveBytes, fileBytes: keptBytes, torn, version: h[HEADER_KEY] as number };
}

function parseLine(line: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return revive(value);
}

/** Byte arrays (payload data) travel as {"$b64": "..."}. */
export function encodeRecord(rec: DbRecord): string {
  return `${JSON.stringify(rec, replacer)}\n`;
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Uint8Array) return { $b64: Buffer.from(raw).toString('base64') };
  return value;
}

/** Turns {"$b64": "..."} back into bytes, in place (a walk is much faster than a JSON.parse reviver). */
function revive(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  if (typeof o.$b64 === 'string' && Object.keys(o).length === 1) return Buffer.from(o.$b64, 'base64');
  for (const k in o) o[k] = revive(o[k]);
  return o;
}

/** The open log: appends records and tracks how much of the file is still live. */
export class AppendLog {
  private fd: number;
  /** bytes of the file */
  fileBytes: number;
  /** bytes of the header and of the last line of every key */
  liveBytes: number;
  private sizes = new Map<string, number>();

  private constructor(readonly file: string, fd: number, fileBytes: number, liveBytes: number) {
    this.fd = fd;
    this.fileBytes = fileBytes;
    this.liveBytes = liveBytes;
  }

  /** Opens `file` for appending (creating it with a header if missing); cuts a torn last line. */
  static open(file: string, loaded?: LoadedLog): AppendLog {
    if (!existsSync(file) || !loaded || loaded.legacySnapshot) {
      mkdirSync(dirname(file), { recursive: true });
      const header = headerLine();
      writeAtomically(file, header);
      const fd = openSync(file, 'a');
      return new AppendLog(file, fd, Buffer.byteLength(header), Buffer.byteLength(header));
    }
    const fd = openSync(file, 'r+');
    ftruncateSync(fd, loaded.fileBytes); // drops a torn last line so the next append starts a line
    fsyncSync(fd);
    closeSync(fd);
    const log = new AppendLog(file, openSync(file, 'a'), loaded.fileBytes, loaded.liveBytes);
    for (const [k, n] of loaded.sizes) log.sizes.set(k, n);
    return log;
  }

  /** Appends the records as one write and one fsync (a group commit); a failed write is cut off. */
  append(records: DbRecord[]): number {
    if (records.length === 0) return 0;
    const lines = records.map(encodeRecord);
    const buf = Buffer.from(lines.join(''));
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
      fsyncSync(this.fd);
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.fileBytes); // no half-written line left in the middle of the log
      } catch {
        /* the next start reports a torn last line */
      }
      throw err;
    }
    this.fileBytes += buf.length;
    records.forEach((rec, i) => {
      const bytes = Buffer.byteLength(lines[i]!);
      this.liveBytes += bytes - (this.sizes.get(rec.k) ?? 0);
      this.sizes.set(rec.k, bytes);
    });
    return buf.length;
  }

  /** True when more than half of the file is records that later ones replaced. */
  needsCompaction(): boolean {
    return this.fileBytes > 2 * this.liveBytes;
  }

  /** Rewrites the file with only `records` (the live state), atomically. */
  compact(records: Iterable<DbRecord>): void {
    const header = headerLine();
    const parts = [header];
    const sizes = new Map<string, number>();
    let live = Buffer.byteLength(header);
    for (const rec of records) {
      const line = encodeRecord(rec);
      const bytes = Buffer.byteLength(line);
      parts.push(line);
      live += bytes;
      sizes.set(rec.k, bytes);
    }
    // the new file is complete before the old one is let go: a failed rewrite (a full disk) leaves
    // the log as it was, still open for appending
    writeAtomically(this.file, parts.join(''));
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.sizes = sizes;
    this.fileBytes = live;
    this.liveBytes = live;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** temp file in the same directory, fsync, rename over, fsync the directory */
function writeAtomically(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
