// Who is acting on the dashboard: each operator has their own token, and the dashboard knows only
// `login: sha256hex(token)` pairs (an operators file or STRATUS_DASHBOARD_OPERATORS). A request's
// bearer token is hashed and compared with every entry in constant time (timingSafeEqual over
// equal-length digests, no early exit), so neither which entry matched nor how much of a token
// was right leaks through timing. The login found is what the workflow history records.
import { createHash, timingSafeEqual } from 'node:crypto';

/** One operator: a login and the SHA-256 of their token (never the token itself). */
export interface OperatorEntry {
  login: string;
  /** 32 bytes: sha256(token). */
  hash: Buffer;
}

/** 401: no bearer token; 403: a token no operator holds; otherwise the operator's login. */
export type TokenCheck = { ok: true; login: string } | { ok: false; status: 401 | 403; message: string };

/** A login: letters, digits and `._@-`, 1–64 characters, starting with a letter or digit. */
export const LOGIN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;

/** The operator list cannot be used; the message names the source and line, never a hash or token. */
export class OperatorsError extends Error {
  override readonly name = 'OperatorsError';
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** `sha256hex(token)`: what goes into an operators file for a token. */
export function hashToken(token: string): string {
  return digest(token).toString('hex');
}

/**
 * Parses `login: sha256hex` pairs, one a line: a YAML mapping (`alice: 3f2a…`, quotes allowed)
 * or `alice:3f2a…` lines; `#` comments and blank lines are skipped. `source` names where the text
 * came from in messages (a file path or an environment variable).
 */
export function parseOperators(text: string, source: string): OperatorEntry[] {
  const entries: OperatorEntry[] = [];
  const lines = text.split(/\r?\n|;/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '' || line === '---') return;
    const where = `${source}${lines.length > 1 ? ` line ${i + 1}` : ''}`;
    const match = /^["']?([^"':\s]+)["']?\s*:\s*["']?([^"'\s]*)["']?$/.exec(line);
    if (!match) throw new OperatorsError(`${where}: expected "login: sha256hex(token)"`);
    const [, login, hash] = match as unknown as [string, string, string];
    if (!LOGIN.test(login)) throw new OperatorsError(`${where}: "${login.slice(0, 64)}" is not a valid login (letters, digits and . _ @ -, at most 64 characters)`);
    if (!HEX64.test(hash)) throw new OperatorsError(`${where}: the value of ${login} must be the SHA-256 of the token as 64 hex digits (e.g. printf %s "$TOKEN" | sha256sum)`);
    if (entries.some((e) => e.login === login)) throw new OperatorsError(`${where}: ${login} is listed twice`);
    entries.push({ login, hash: Buffer.from(hash, 'hex') });
  });
  return entries;
}

/**
 * Checks an Authorization header against every operator. All entries are compared, whichever
 * matches, so the time taken does not depend on the token or on its position in the list.
 */
export function checkBearer(header: string | undefined, operators: readonly OperatorEntry[]): TokenCheck {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return { ok: false, status: 401, message: 'this action needs your operator token: send Authorization: Bearer <token>' };
  const presented = digest(match[1]!);
  let found = -1;
  operators.forEach((op, i) => {
    const same = timingSafeEqual(presented, op.hash);
    found = same ? i : found;
  });
  if (found < 0) return { ok: false, status: 403, message: 'this operator token is not known to the dashboard' };
  return { ok: true, login: operators[found]!.login };
}
