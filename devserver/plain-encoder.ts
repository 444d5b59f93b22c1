// Encodes the server's plain messages (see proto.ts: camelCase fields, enums as names, int64 as
// numbers) straight from the object, walking only the fields it has. protobufjs's own path,
// `Type.fromObject` then `Type.encode`, first builds a message instance (a Long per int64, every
// field of the type checked, twice) and was the largest single cost of writing a history event.
// The bytes decode to the same message (and have the same length: fields are written in the
// object's key order, which protobuf allows); test/devserver/plain-codec.test.ts checks both on
// recorded histories.
import protobuf from 'protobufjs/minimal.js';
import { type EnumType, type MessageType, WIRE, isPackable } from './descriptors.js';
import type { Msg } from './proto.js';

interface FieldPlan {
  id: number;
  repeated: boolean;
  /** scalar type name (a protobufjs Writer method), 'enum', 'message' or 'map' */
  kind: string;
  wire: number;
  packed: boolean;
  /** proto3 implicit presence: a default value (0, '', false, empty bytes) is not written */
  implicit: boolean;
  enumValues?: Record<string, number>;
  message?: MessageType;
  /** map fields: key scalar type, and the value's own plan (field id 2) */
  keyType?: string;
  value?: FieldPlan;
}

const plans = new WeakMap<MessageType, Map<string, FieldPlan>>();

function valuePlan(id: number, typeName: string, resolved: MessageType | EnumType | null, repeated: boolean, packed: boolean, implicit: boolean): FieldPlan {
  if (resolved?.kind === 'enum') return { id, repeated, kind: 'enum', wire: 0, packed: repeated && packed, implicit, enumValues: resolved.values };
  if (resolved?.kind === 'message') return { id, repeated, kind: 'message', wire: 2, packed: false, implicit: false, message: resolved };
  const wire = WIRE[typeName];
  if (wire === undefined) throw new Error(`plain encoder: unknown field type ${typeName}`);
  return { id, repeated, kind: typeName, wire, packed: repeated && packed && isPackable(typeName), implicit };
}

/** A default value of an implicit-presence field, which protobufjs does not write either. */
function isDefault(p: FieldPlan, v: unknown): boolean {
  switch (p.kind) {
    case 'enum':
      return (typeof v === 'number' ? v : p.enumValues![v as string]) === 0;
    case 'bool':
      return v === false;
    case 'string':
      return v === '';
    case 'bytes':
      return (v as { length: number }).length === 0;
    case 'double':
    case 'float':
      return Object.is(v, 0);
    default:
      return typeof v === 'object' ? !((v as { low: number }).low || (v as { high: number }).high) : v === 0;
  }
}

function planOf(t: MessageType): Map<string, FieldPlan> {
  let plan = plans.get(t);
  if (plan) return plan;
  plan = new Map();
  plans.set(t, plan);
  for (const f of t.fieldsArray) {
    if (f.map) {
      plan.set(f.name, { id: f.id, repeated: false, kind: 'map', wire: 2, packed: false, implicit: false, keyType: f.keyType, value: valuePlan(2, f.type, f.resolvedType, false, false, false) });
    } else {
      plan.set(f.name, valuePlan(f.id, f.type, f.resolvedType, f.repeated, f.packed, !f.repeated && !f.hasPresence));
    }
  }
  return plan;
}

function writeValue(w: protobuf.Writer, p: FieldPlan, v: unknown): void {
  switch (p.kind) {
    case 'message':
      if (typeof v !== 'object') throw new TypeError(`${p.message!.fullName}: object expected`);
      w.fork();
      writeMessage(w, p.message!, v as Msg);
      w.ldelim();
      return;
    case 'enum':
      w.int32(typeof v === 'number' ? v : p.enumValues![v as string]!);
      return;
    case 'string':
      w.string(typeof v === 'string' ? v : String(v));
      return;
    default:
      (w as unknown as Record<string, (x: unknown) => void>)[p.kind]!(v);
  }
}

/** Unknown enum names are dropped, as Type.fromObject drops them. */
const known = (p: FieldPlan, v: unknown) => p.kind !== 'enum' || typeof v === 'number' || p.enumValues![v as string] !== undefined;

function writeMessage(w: protobuf.Writer, t: MessageType, obj: Msg): void {
  const plan = planOf(t);
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    const p = plan.get(key);
    if (!p) continue; // not a field of the type: ignored, as by Type.fromObject
    if (p.kind === 'map') {
      for (const k of Object.keys(v as Msg)) {
        const mv = (v as Msg)[k];
        if (mv === undefined || mv === null || !known(p.value!, mv)) continue;
        w.uint32((p.id << 3) | 2).fork();
        const keyType = p.keyType!;
        w.uint32((1 << 3) | (keyType === 'string' ? 2 : WIRE[keyType]!));
        (w as unknown as Record<string, (x: unknown) => void>)[keyType]!(keyType === 'bool' ? k === 'true' : k);
        w.uint32((2 << 3) | p.value!.wire);
        writeValue(w, p.value!, mv);
        w.ldelim();
      }
    } else if (p.repeated) {
      if (!Array.isArray(v) || v.length === 0) continue;
      if (p.packed) {
        w.uint32((p.id << 3) | 2).fork();
        for (const x of v) if (known(p, x)) writeValue(w, p, x);
        w.ldelim();
      } else {
        for (const x of v) {
          if (x === undefined || x === null || !known(p, x)) continue;
          w.uint32((p.id << 3) | p.wire);
          writeValue(w, p, x);
        }
      }
    } else if (known(p, v) && !(p.implicit && isDefault(p, v))) {
      w.uint32((p.id << 3) | p.wire);
      writeValue(w, p, v);
    }
  }
}

/** Writes the fields of plain message `obj` of type `t` to `w` (to be followed by more fields, or finished). */
export function writePlain(t: MessageType, obj: Msg, w: protobuf.Writer = protobuf.Writer.create()): protobuf.Writer {
  writeMessage(w, t, obj);
  return w;
}

/** The encoded bytes of plain message `obj` of type `t`. */
export function encodePlain(t: MessageType, obj: Msg): Uint8Array {
  return writePlain(t, obj).finish();
}
