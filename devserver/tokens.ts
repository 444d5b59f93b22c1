// Task tokens: what a worker hands back to name the workflow task, query task or activity
// attempt it is answering. A token that decodes but names nothing known is NOT_FOUND (the SDK
// raises its not-found error); only bytes that are not a token at all are INVALID_ARGUMENT.
import { invalidArgument } from './proto.js';

export interface TokenData {
  k: 'w' | 'q' | 'a';
  ns: string;
  wid: string;
  rid: string;
  n: number; // nonce
  e?: number; // scheduled event id
  q?: string; // query id
}

export function encodeToken(t: TokenData): Buffer {
  return Buffer.from(JSON.stringify(t));
}

export function decodeToken(buf: Uint8Array | undefined): TokenData {
  let t: TokenData | undefined;
  try {
    t = JSON.parse(Buffer.from(buf ?? []).toString('utf8')) as TokenData;
  } catch {
    t = undefined;
  }
  if (!t || typeof t !== 'object' || typeof t.wid !== 'string' || typeof t.rid !== 'string' || !['w', 'q', 'a'].includes(t.k)) {
    throw invalidArgument('Task token is malformed.');
  }
  return t;
}
