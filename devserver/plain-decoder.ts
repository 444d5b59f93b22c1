// Decodes request bytes straight into the server's plain messages (camelCase fields, int64 as
// numbers, enums as their names, bytes as Buffers; only the fields on the wire), the shape
// protobufjs gives with decode + toObject({ longs: Number, enums: String, defaults: false }),
// without building the message instance (and a Long per int64) in between.
// test/devserver/plain-codec.test.ts checks it against protobufjs.
import protobuf from 'protobufjs/minimal.js';
import { type EnumType, type MessageType, isPackable } from './descriptors.js';
import type { Msg } from './proto.js';

interface FieldPlan {
  name: string;
  repeated: boolean;
  /** scalar type name (a protobufjs Reader method), 'enum', 'message' or 'map' */
  kind: string;
  enumNames?: Record<number, string>;
  message?: MessageType;
  keyType?: string;
  value?: FieldPlan;
}

const MAX_DEPTH = 100;
const plans = new WeakMap<MessageType, Map<number, FieldPlan>>();
const LONG = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

function valuePlan(name: string, typeName: string, resolved: MessageType | EnumType | null, repeated: boolean): FieldPlan {
  if (resolved?.kind === 'enum') return { name, repeated, kind: 'enum', enumNames: resolved.valuesById };
  if (resolved?.kind === 'message') return { name, repeated, kind: 'message', message: resolved };
  return { name, repeated, kind: typeName };
}

function planOf(t: MessageType): Map<number, FieldPlan> {
  let plan = plans.get(t);
  if (plan) return plan;
  plan = new Map();
  plans.set(t, plan);
  for (const f of t.fieldsArray) {
    if (f.map) plan.set(f.id, { name: f.name, repeated: false, kind: 'map', keyType: f.keyType, value: valuePlan('value', f.type, f.resolvedType, false) });
    else plan.set(f.id, valuePlan(f.name, f.type, f.resolvedType, f.repeated));
  }
  return plan;
}

type LongLike = number | { toNumber(): number };
const toNumber = (v: LongLike) => (typeof v === 'number' ? v : v.toNumber());

/** An int64-family value as a number; varints of up to 7 bytes (below 2^49) are read without a Long. */
function readLong(r: protobuf.Reader, kind: string): number {
  if (kind === 'int64' || kind === 'uint64') {
    let value = 0;
    let scale = 1;
    for (let i = r.pos; i < r.len && i < r.pos + 7; i++) {
      const b = r.buf[i]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        r.pos = i + 1;
        return value;
      }
      scale *= 0x80;
    }
  }
  return toNumber((r as unknown as Record<string, () => LongLike>)[kind]!());
}

function readValue(r: protobuf.Reader, p: FieldPlan, depth: number): unknown {
  switch (p.kind) {
    case 'message': {
      const end = r.uint32() + r.pos;
      return readMessage(r, p.message!, end, depth + 1);
    }
    case 'enum': {
      const n = r.int32();
      return p.enumNames![n] ?? n;
    }
    default:
      if (LONG.has(p.kind)) return readLong(r, p.kind);
      return (r as unknown as Record<string, () => unknown>)[p.kind]!();
  }
}

function readMessage(r: protobuf.Reader, t: MessageType, end: number, depth: number): Msg {
  if (depth > MAX_DEPTH) throw new Error('max depth exceeded');
  const plan = planOf(t);
  const out: Msg = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const p = plan.get(tag >>> 3);
    const wire = tag & 7;
    if (!p) {
      r.skipType(wire);
      continue;
    }
    if (p.kind === 'map') {
      const entryEnd = r.uint32() + r.pos;
      let key: unknown = p.keyType === 'string' ? '' : 0;
      let value: unknown;
      while (r.pos < entryEnd) {
        const t2 = r.uint32();
        if (t2 >>> 3 === 1) key = LONG.has(p.keyType!) ? readLong(r, p.keyType!) : (r as unknown as Record<string, () => unknown>)[p.keyType!]!();
        else if (t2 >>> 3 === 2) value = readValue(r, p.value!, depth);
        else r.skipType(t2 & 7);
      }
      const map = (out[p.name] ??= {}) as Msg;
      map[String(key)] = value ?? (p.value!.kind === 'message' ? {} : undefined);
    } else if (p.repeated) {
      const list = (out[p.name] ??= []) as unknown[];
      if (wire === 2 && (p.kind === 'enum' || isPackable(p.kind))) {
        const listEnd = r.uint32() + r.pos;
        while (r.pos < listEnd) list.push(readValue(r, p, depth));
      } else {
        list.push(readValue(r, p, depth));
      }
      if (list.length === 0) delete out[p.name];
    } else {
      out[p.name] = readValue(r, p, depth);
    }
  }
  if (r.pos !== end) throw new RangeError(`index out of range: ${r.pos} + 0 > ${end}`);
  return out;
}

/** The plain message of type `t` encoded in `bytes`; throws on bytes that are not one. */
export function decodePlain(t: MessageType, bytes: Uint8Array): Msg {
  const r = protobuf.Reader.create(bytes);
  return readMessage(r, t, r.len, 0);
}
