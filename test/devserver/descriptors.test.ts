// The server's lazily built API descriptions against protobufjs's reflection tree of the same
// JSON: every message type's fields (number, type, repeated, map key, packed, presence, and the
// type a name resolves to), every enum's values, every method's types. The codec's bytes rest on
// these; test/devserver/plain-codec.test.ts checks the bytes themselves.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as protobuf from 'protobufjs';
import { Descriptors } from '../../devserver/descriptors.js';
import { descriptors } from '../../devserver/proto.js';

const require = createRequire(import.meta.url);
const jsonModule = require('@temporalio/proto/protos/json-module.js') as { default?: protobuf.Root } & protobuf.Root;
const pbRoot = (jsonModule.default ?? jsonModule).resolveAll();
const pb = require('protobufjs') as typeof protobuf;

function pbTypes(ns: protobuf.NamespaceBase, out: (protobuf.Type | protobuf.Enum)[] = []) {
  for (const o of ns.nestedArray) {
    if (o instanceof pb.Type || o instanceof pb.Enum) out.push(o);
    if (o instanceof pb.Namespace) pbTypes(o, out);
  }
  return out;
}

test('the description is read from the text of @temporalio/proto’s module, without running it', () => {
  expect(descriptors.source).toBe('text');
});

test('every message and enum type has the fields, flags and values protobufjs gives it', () => {
  const reference = pbTypes(pbRoot).filter((t) => !t.fullName.startsWith('.grpc.') && !t.fullName.startsWith('.nexusannotations.'));
  const ours = new Map([...descriptors.allTypes()].map((t) => [t.fullName, t]));
  expect(reference.length).toBeGreaterThan(1000);
  let fields = 0;
  for (const ref of reference) {
    const t = ours.get(ref.fullName);
    expect(t?.kind).toBe(ref instanceof pb.Type ? 'message' : 'enum');
    if (ref instanceof pb.Enum) {
      expect(t?.kind === 'enum' && { values: t.values, valuesById: t.valuesById }).toEqual({ values: ref.values, valuesById: ref.valuesById });
      continue;
    }
    if (t!.kind !== 'message') continue;
    const describe = (f: protobuf.Field) => {
      f.resolve();
      return {
        name: f.name,
        id: f.id,
        type: f.type,
        repeated: f.repeated,
        map: f.map,
        keyType: f instanceof pb.MapField ? f.keyType : undefined,
        packed: f.packed,
        hasPresence: Boolean(f.hasPresence),
        resolved: f.resolvedType ? `${f.resolvedType instanceof pb.Enum ? 'enum' : 'message'} ${f.resolvedType.fullName}` : null,
      };
    };
    const mine = t!.fieldsArray.map((f) => ({
      name: f.name,
      id: f.id,
      type: f.type,
      repeated: f.repeated,
      map: f.map,
      keyType: f.keyType,
      packed: f.packed,
      hasPresence: f.hasPresence,
      resolved: f.resolvedType ? `${f.resolvedType.kind} ${f.resolvedType.fullName}` : null,
    }));
    // extensions other packages declare on google.protobuf's *Options (API annotations) are not kept
    const refFields = ref.fieldsArray.filter((f) => !f.name.startsWith('.'));
    expect({ type: ref.fullName, fields: mine }).toEqual({ type: ref.fullName, fields: refFields.map(describe) });
    expect(Object.keys(t!.fields)).toEqual(refFields.map((f) => f.name));
    fields += mine.length;
  }
  expect(fields).toBeGreaterThan(3000);
});

test('every method of the services the server offers has protobufjs’s request and response types', () => {
  for (const name of ['temporal.api.workflowservice.v1.WorkflowService', 'temporal.api.operatorservice.v1.OperatorService', 'temporal.api.testservice.v1.TestService']) {
    const ref = pbRoot.lookupService(name);
    const mine = descriptors.lookupService(name);
    expect(mine.map((m) => [m.name, m.requestType.fullName, m.responseType.fullName])).toEqual(
      Object.values(ref.methods).map((m) => (m.resolve(), [m.name, m.resolvedRequestType!.fullName, m.resolvedResponseType!.fullName])),
    );
    expect(mine.length).toBeGreaterThan(5);
  }
});

test('names resolve as in protobuf: the innermost scope first, then outwards, absolute with a dot', () => {
  const d = Descriptors.of({
    nested: {
      a: {
        nested: {
          Inner: { fields: { x: { type: 'int32', id: 1 } } },
          Outer: {
            fields: { near: { type: 'Inner', id: 1 }, far: { type: 'b.Thing', id: 2 }, abs: { type: '.a.Inner', id: 3 }, e: { type: 'Color', id: 4, rule: 'repeated', options: { packed: true } } },
            nested: { Inner: { fields: { y: { type: 'string', id: 1 } } }, Color: { values: { RED: 0, CRIMSON: 0, BLUE: 1 } } },
          },
          b: { nested: { Thing: { fields: {} } } },
        },
      },
    },
  });
  const outer = d.lookupType('a.Outer');
  expect(outer.fields.near!.resolvedType!.fullName).toBe('.a.Outer.Inner');
  expect(outer.fields.far!.resolvedType!.fullName).toBe('.a.b.Thing');
  expect(outer.fields.abs!.resolvedType!.fullName).toBe('.a.Inner');
  expect(outer.fields.e).toMatchObject({ repeated: true, packed: true, hasPresence: false });
  expect(outer.fields.e!.resolvedType).toMatchObject({ kind: 'enum', fullName: '.a.Outer.Color', valuesById: { 0: 'CRIMSON', 1: 'BLUE' } });
  expect(() => d.lookupType('a.Missing')).toThrow('no such type: a.Missing');
  expect(() => d.lookupType('a.Outer.Color')).toThrow('no such type: a.Outer.Color');
  const broken = Descriptors.of({ nested: { T: { fields: { z: { type: 'Nowhere', id: 1 } } } } }).lookupType('T');
  expect(() => broken.fieldsArray).toThrow('no such type: Nowhere (field z of .T)');
  expect(() => broken.fields).toThrow('no such type: Nowhere (field z of .T)');
});

test('a module in another layout is run, and protobufjs gives the same description', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-desc-'));
  try {
    const file = join(dir, 'module.cjs');
    const json = { nested: { p: { nested: { M: { fields: { n: { type: 'int64', id: 3 }, tags: { type: 'string', id: 4, rule: 'repeated' } } } } } } };
    writeFileSync(file, `module.exports = require(${JSON.stringify(require.resolve('protobufjs/light'))}).Root.fromJSON(${JSON.stringify(json)});\n`);
    const d = Descriptors.ofModule(file);
    expect(d.source).toBe('module');
    expect(d.lookupType('p.M').fieldsArray.map((f) => [f.name, f.id, f.type, f.repeated])).toEqual([
      ['n', 3, 'int64', false],
      ['tags', 4, 'string', true],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
