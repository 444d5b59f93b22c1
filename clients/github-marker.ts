// Idempotency markers: a hidden HTML comment carrying a caller-given key, put into the body of
// everything stratus creates on GitHub, so a retried create finds what the first attempt made.
import { InvalidNameError } from './github-errors.js';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;

/** Throws InvalidNameError unless `key` is usable in a marker (no "--" or ">" that would end the comment). */
export function assertMarkerKey(key: string): string {
  if (typeof key !== 'string' || !KEY.test(key) || key.includes('--')) {
    throw new InvalidNameError('idempotency key', String(key), 'use letters, digits and . _ : / @ + - (at most 200, no "--"), starting with a letter or digit');
  }
  return key;
}

/** The hidden marker for `key`: `<!-- stratus:key=KEY -->`. */
export function markerOf(key: string): string {
  return `<!-- stratus:key=${assertMarkerKey(key)} -->`;
}

/** `body` with the marker of `key` appended (once). */
export function withMarker(body: string, key: string): string {
  const marker = markerOf(key);
  return body.includes(marker) ? body : `${body}${body ? '\n\n' : ''}${marker}`;
}

/** Whether `body` carries the marker of `key`. */
export function hasMarker(body: string | null | undefined, key: string): boolean {
  return (body ?? '').includes(markerOf(key));
}

/** `body` without stratus's hidden markers (what a person sees). */
export function stripMarkers(body: string): string {
  return body.replace(/\s*<!-- stratus:key=[^>]*-->/g, '');
}
