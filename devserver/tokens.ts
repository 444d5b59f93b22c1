// Task tokens: what a worker hands back to name the workflow task, query task or activity
// attempt it is answering. They use the real server's layout (temporal.server.api.token.v1.Task:
// 1 namespace, 2 workflow id, 3 run id, 4 scheduled event id, 5 attempt, 6 activity id) plus
// private fields from 100 on (kind, nonce, query id), so a token minted by a real server decodes
// too. A token that decodes but names nothing known is NOT_FOUND (the SDK raises its not-found
// error); only bytes that are not a token at all are INVALID_ARGUMENT.
import { invalidArgument } from './proto.js';

export interface TokenData {
  /** workflow task, query task or activity attempt; absent in a real server's token */
  k?: 'w' | 'q' | 'a';
  ns: string;
  wid: string;
  rid: string;
  n?: number; // nonce
  e?: number; // scheduled event id
  q?: string; // query id
  attempt?: number;
  activityId?: string;
}

const STRING_FIELDS = { 1: 'ns', 2: 'wid', 3: 'rid', 6: 'activityId', 100: 'k', 102: 'q' } as const;
const NUMBER_FIELDS = { 4: 'e', 5: 'attempt', 101: 'n' } as const;

const STRING_ENTRIES = Object.entries(STRING_FIELDS).map(([field, key]) => [Number(field) * 8 + 2, key] as const);
const NUMBER_ENTRIES = Object.entries(NUMBER_FIELDS).map(([field, key]) => [Number(field) * 8, key] as const);

/** Writes `value` as a varint at `pos` (room for 10 bytes); returns the new position. */
function varint(out: Buffer, pos: number, value: number): number {
  let v = Math.max(0, Math.floor(value));
  while (v >= 0x80) {
    out[pos++] = (v % 0x80) + 0x80;
    v = Math.floor(v / 0x80);
  }
  out[pos++] = v;
  return pos;
}

/** Minted for every task handed out: one buffer, written in place. */
export function encodeToken(t: TokenData): Buffer {
  let size = 0;
  for (const [, key] of STRING_ENTRIES) {
    const value = t[key];
    if (value !== undefined) size += 2 * 10 + Buffer.byteLength(value, 'utf8');
  }
  const out = Buffer.allocUnsafe(size + NUMBER_ENTRIES.length * 20);
  let pos = 0;
  for (const [tag, key] of STRING_ENTRIES) {
    const value = t[key];
    if (value === undefined) continue;
    pos = varint(out, pos, tag);
    const len = Buffer.byteLength(value, 'utf8');
    pos = varint(out, pos, len);
    pos += out.write(value, pos, 'utf8');
  }
  for (const [tag, key] of NUMBER_ENTRIES) {
    const value = t[key];
    if (value === undefined) continue;
    pos = varint(out, pos, tag);
    pos = varint(out, pos, value);
  }
  return out.subarray(0, pos);
}

class Malformed extends Error {}

export function decodeToken(buf: Uint8Array | undefined): TokenData {
  const bytes = Buffer.from(buf ?? []);
  let pos = 0;
  const readVarint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) throw new Malformed();
      const b = bytes[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
    }
    throw new Malformed();
  };
  const t: Record<string, string | number> = {};
  try {
    while (pos < bytes.length) {
      const tag = readVarint();
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 0) throw new Malformed();
      if (wire === 0) {
        const v = readVarint();
        const key = NUMBER_FIELDS[field as keyof typeof NUMBER_FIELDS];
        if (key) t[key] = v;
      } else if (wire === 2) {
        const len = readVarint();
        if (pos + len > bytes.length) throw new Malformed();
        const key = STRING_FIELDS[field as keyof typeof STRING_FIELDS];
        if (key) t[key] = bytes.subarray(pos, pos + len).toString('utf8');
        pos += len;
      } else if (wire === 1) {
        pos += 8;
      } else if (wire === 5) {
        pos += 4;
      } else {
        throw new Malformed();
      }
      if (pos > bytes.length) throw new Malformed();
    }
  } catch (err) {
    if (err instanceof Malformed) throw invalidArgument('Task token is malformed.');
    throw err;
  }
  if (!t.wid || !t.rid) throw invalidArgument('Task token is malformed.');
  if (t.k !== undefined && !['w', 'q', 'a'].includes(t.k as string)) throw invalidArgument('Task token is malformed.');
  return t as unknown as TokenData;
}
