// FarmHash Fingerprint32 (farmhashmk Hash32, as github.com/dgryski/go-farm computes it), for
// inputs longer than 24 bytes: what the real server hashes to give a schedule time its jitter
// (schedule-spec.ts), so jittered times are the same as on the real server.
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

const mul = (a: number, b: number) => Math.imul(a, b) >>> 0;
const rotr = (v: number, s: number) => ((v >>> s) | (v << (32 - s))) >>> 0;
const add = (a: number, b: number) => (a + b) >>> 0;

function mur(a: number, h: number): number {
  a = mul(rotr(mul(a, C1), 17), C2);
  h = rotr((h ^ a) >>> 0, 19);
  return add(mul(h, 5), 0xe6546b64);
}

/** Fingerprint32 of `s` (more than 24 bytes). */
export function fingerprint32(s: Uint8Array): number {
  const len = s.length;
  if (len <= 24) throw new Error('fingerprint32: only inputs longer than 24 bytes are supported');
  const u32 = (i: number) => (s[i]! | (s[i + 1]! << 8) | (s[i + 2]! << 16) | (s[i + 3]! << 24)) >>> 0;
  const tail = (i: number) => mul(rotr(mul(u32(len - i), C1), 17), C2);
  let h = len >>> 0;
  let g = mul(C1, len);
  let f = g;
  const [a0, a1, a2, a3, a4] = [tail(4), tail(8), tail(16), tail(12), tail(20)];
  h = add(mul(rotr((h ^ a0) >>> 0, 19), 5), 0xe6546b64);
  h = add(mul(rotr((h ^ a2) >>> 0, 19), 5), 0xe6546b64);
  g = add(mul(rotr((g ^ a1) >>> 0, 19), 5), 0xe6546b64);
  g = add(mul(rotr((g ^ a3) >>> 0, 19), 5), 0xe6546b64);
  f = add(rotr(add(f, a4), 19), 113);
  for (let iters = Math.floor((len - 1) / 20), off = 0; iters > 0; iters--, off += 20) {
    const [a, b, c, d, e] = [u32(off), u32(off + 4), u32(off + 8), u32(off + 12), u32(off + 16)];
    h = add(h, a);
    g = add(g, b);
    f = add(f, c);
    h = add(mur(d, h), e);
    g = add(mur(c, g), a);
    f = add(mur(add(b, mul(e, C1)), f), d);
    f = add(f, g);
    g = add(g, f);
  }
  g = mul(rotr(mul(rotr(g, 11), C1), 17), C1);
  f = mul(rotr(mul(rotr(f, 11), C1), 17), C1);
  h = add(mul(rotr(add(h, g), 19), 5), 0xe6546b64);
  h = mul(rotr(h, 17), C1);
  h = add(mul(rotr(add(h, f), 19), 5), 0xe6546b64);
  return mul(rotr(h, 17), C1);
}
