// The API's message, enum and service descriptions, read from the JSON that @temporalio/proto
// ships (protos/json-module.js: one `addJSON({...})` literal) and built lazily: a type's fields
// are made when it is first encoded or decoded, so a start builds a few dozen types, not the
// 3,700 of the whole tree. Building protobufjs's reflection tree of it was about half of the
// server's start-up. Names resolve by protobuf's scoping (which gives protobufjs's answer for
// every field of this tree), and fields get the flags protobufjs's resolved tree gives them: a top-level type without an edition is proto3 (scalars without
// `optional` have implicit presence, repeated scalars are packed), google's descriptor types say
// proto2; `features` and the legacy `packed` option override. test/devserver/descriptors.test.ts
// compares every field of the tree with protobufjs's.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** A node of the JSON tree (protobufjs's INamespace / IType / IEnum / IService shape). */
interface JsonNode {
  nested?: Record<string, JsonNode>;
  edition?: string;
  options?: { features?: Features } & Record<string, unknown>;
  fields?: Record<string, { type: string; id: number; rule?: string; keyType?: string; edition?: string; options?: { packed?: boolean; features?: Features } & Record<string, unknown> }>;
  oneofs?: Record<string, { oneof: string[] }>;
  values?: Record<string, number>;
  methods?: Record<string, { requestType: string; responseType: string }>;
}

export interface MessageType {
  kind: 'message';
  /** with a leading dot, as protobufjs writes it */
  fullName: string;
  name: string;
  readonly fieldsArray: Field[];
  readonly fields: Record<string, Field>;
}

export interface EnumType {
  kind: 'enum';
  fullName: string;
  name: string;
  values: Record<string, number>;
  /** number → name (the last name of an aliased number, as in protobufjs) */
  valuesById: Record<number, string>;
}

export interface Field {
  name: string;
  id: number;
  /** a scalar type name, or the type's name as written in the description */
  type: string;
  repeated: boolean;
  map: boolean;
  keyType?: string;
  packed: boolean;
  hasPresence: boolean;
  /** the message or enum type of a non-scalar field (of a map's values for a map) */
  resolvedType: MessageType | EnumType | null;
}

export interface Method {
  name: string;
  requestType: MessageType;
  responseType: MessageType;
}

/** Wire type of each scalar (protobufjs's types.basic). */
export const WIRE: Readonly<Record<string, number>> = Object.freeze({
  double: 1, float: 5, int32: 0, uint32: 0, sint32: 0, fixed32: 5, sfixed32: 5,
  int64: 0, uint64: 0, sint64: 0, fixed64: 1, sfixed64: 1, bool: 0, string: 2, bytes: 2,
});
/** Scalars that may be packed: all but string and bytes. */
export const isPackable = (t: string) => WIRE[t] !== undefined && t !== 'string' && t !== 'bytes';

/** The two edition features the wire format depends on. */
interface Features {
  field_presence?: string;
  repeated_field_encoding?: string;
}
const EDITION_DEFAULTS: Record<string, Required<Features>> = {
  proto2: { field_presence: 'EXPLICIT', repeated_field_encoding: 'EXPANDED' },
  proto3: { field_presence: 'IMPLICIT', repeated_field_encoding: 'PACKED' },
  '2023': { field_presence: 'EXPLICIT', repeated_field_encoding: 'PACKED' },
  '2024': { field_presence: 'EXPLICIT', repeated_field_encoding: 'PACKED' },
};
const pick = (f: Features | undefined): Features => {
  const out: Features = {};
  if (f?.field_presence) out.field_presence = f.field_presence;
  if (f?.repeated_field_encoding) out.repeated_field_encoding = f.repeated_field_encoding;
  return out;
};

/** A node of the tree with its place in it. */
class Node {
  private childNodes?: Map<string, Node>;
  built?: MessageType | EnumType;

  constructor(
    readonly json: JsonNode,
    readonly name: string,
    readonly fullName: string,
    readonly parent: Node | null,
  ) {}

  get isNamespace(): boolean {
    return this.json.values === undefined;
  }

  /** A package (or the root): not a message, enum or service. */
  get isPackage(): boolean {
    return this.json.fields === undefined && this.json.values === undefined && this.json.methods === undefined;
  }

  private resolvedFeatures?: { edition: string; features: Required<Features> };

  /** The edition in force and the features of this type (protobufjs's _resolveFeatures). */
  features(): { edition: string; features: Required<Features> } {
    if (!this.resolvedFeatures) {
      // a type directly in a package defaults to proto3 (protobufjs's _defaultEdition), nested ones inherit
      const own = this.json.edition ?? (this.parent?.isPackage ? 'proto3' : undefined);
      const base = own !== undefined ? { edition: own, features: EDITION_DEFAULTS[own] } : this.parent?.features();
      if (!base?.features) throw new Error(`unknown edition ${own ?? '(none)'} of ${this.fullName}`);
      this.resolvedFeatures = { edition: base.edition, features: { ...base.features, ...pick(this.json.options?.features) } };
    }
    return this.resolvedFeatures;
  }

  children(): Map<string, Node> {
    if (!this.childNodes) {
      this.childNodes = new Map();
      for (const [name, json] of Object.entries(this.json.nested ?? {})) this.childNodes.set(name, new Node(json, name, `${this.fullName}.${name}`, this));
    }
    return this.childNodes;
  }

  /** The node at `path` below this one, by name at each step (no search). */
  below(path: string[], from = 0): Node | null {
    if (from === path.length) return this;
    const next = this.isNamespace ? this.children().get(path[from]!) : undefined;
    return next ? next.below(path, from + 1) : null;
  }

  root(): Node {
    return this.parent ? this.parent.root() : this;
  }

  /**
   * Protobuf's scoping: a relative name is looked for in this scope, then in each enclosing one;
   * `accept` filters the kind (a miss of the right kind goes on outwards, as in protobufjs).
   */
  lookup(name: string, accept: (n: Node) => boolean): Node | null {
    if (name.startsWith('.')) {
      const found = this.root().below(name.slice(1).split('.'));
      return found && accept(found) ? found : null;
    }
    const found = this.below(name.split('.'));
    if (found && accept(found)) return found;
    return this.parent ? this.parent.lookup(name, accept) : null;
  }
}

const isMessage = (n: Node) => n.json.fields !== undefined;
const isEnum = (n: Node) => n.json.values !== undefined;

function buildEnum(node: Node): EnumType {
  const values: Record<string, number> = {};
  const valuesById: Record<number, string> = {};
  for (const [name, n] of Object.entries(node.json.values!)) {
    values[name] = n;
    valuesById[n] = name;
  }
  return { kind: 'enum', fullName: node.fullName, name: node.name, values, valuesById };
}

function buildMessage(node: Node): MessageType {
  let fieldsArray: Field[] | undefined;
  let fields: Record<string, Field> | undefined;
  const make = () => {
    const { edition, features } = node.features();
    const inOneof = new Set(Object.values(node.json.oneofs ?? {}).flatMap((o) => o.oneof));
    // made whole or not at all: a name that does not resolve throws on every use, not only the first
    const list: Field[] = [];
    const byName: Record<string, Field> = {};
    for (const [name, f] of Object.entries(node.json.fields!)) {
      const repeated = f.rule === 'repeated';
      const map = f.keyType !== undefined;
      let resolvedType: MessageType | EnumType | null = null;
      if (WIRE[f.type] === undefined) {
        const target = node.lookup(f.type, (n) => isMessage(n) || isEnum(n));
        if (!target) throw new Error(`no such type: ${f.type} (field ${name} of ${node.fullName})`);
        resolvedType = built(target);
      }
      const own: Features = pick(f.options?.features);
      if ((f.edition ?? edition) === 'proto2' || (f.edition ?? edition) === 'proto3') {
        if (f.options?.packed === true) own.repeated_field_encoding = 'PACKED';
        else if (f.options?.packed === false) own.repeated_field_encoding = 'EXPANDED';
      }
      const ff = { ...features, ...own };
      const field: Field = {
        name,
        id: f.id,
        type: f.type,
        repeated,
        map,
        ...(map ? { keyType: f.keyType } : {}),
        packed: ff.repeated_field_encoding === 'PACKED',
        hasPresence: !repeated && !map && (inOneof.has(name) || ff.field_presence !== 'IMPLICIT'),
        resolvedType,
      };
      list.push(field);
      byName[name] = field;
    }
    fieldsArray = list;
    fields = byName;
  };
  return {
    kind: 'message',
    fullName: node.fullName,
    name: node.name,
    get fieldsArray() {
      if (!fieldsArray) make();
      return fieldsArray!;
    },
    get fields() {
      if (!fields) make();
      return fields!;
    },
  };
}

function built(node: Node): MessageType | EnumType {
  node.built ??= isEnum(node) ? buildEnum(node) : buildMessage(node);
  return node.built;
}

/** The text of json-module.js's `addJSON({...})` argument, parsed (undefined if it is not there). */
function readJsonModule(file: string): Record<string, JsonNode> | undefined {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('.addJSON(');
  const end = text.lastIndexOf('});');
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(text.slice(start + '.addJSON('.length, end + 1)) as Record<string, JsonNode>;
  } catch {
    return undefined;
  }
}

export class Descriptors {
  private readonly top: Node;

  private constructor(
    json: JsonNode,
    /** 'text': read from the module's text; 'module': the module had to be run (its format changed) */
    readonly source: 'text' | 'module',
  ) {
    this.top = new Node(json, '', '', null);
  }

  /** The descriptions @temporalio/proto ships. */
  static ofTemporalProto(): Descriptors {
    return Descriptors.ofModule(createRequire(import.meta.url).resolve('@temporalio/proto/protos/json-module.js'));
  }

  /** The descriptions of a protobufjs JSON module: read as text, or run if its text is not the one literal expected. */
  static ofModule(file: string): Descriptors {
    const parsed = readJsonModule(file);
    if (parsed) return new Descriptors({ nested: parsed }, 'text');
    // another layout of the file: run it and ask protobufjs for the same JSON
    const mod = createRequire(import.meta.url)(file) as { default?: { toJSON(): JsonNode } } & { toJSON(): JsonNode };
    return new Descriptors((mod.default ?? mod).toJSON(), 'module');
  }

  static of(json: JsonNode): Descriptors {
    return new Descriptors(json, 'text');
  }

  private find(name: string, accept: (n: Node) => boolean, what: string): Node {
    const n = this.top.lookup(name.startsWith('.') ? name : `.${name}`, accept);
    if (!n) throw new Error(`no such ${what}: ${name}`);
    return n;
  }

  lookupType(name: string): MessageType {
    return built(this.find(name, isMessage, 'type')) as MessageType;
  }

  /** A service's unary and streaming methods, their types resolved from the service's scope. */
  lookupService(name: string): Method[] {
    const node = this.find(name, (n) => n.json.methods !== undefined, 'service');
    return Object.entries(node.json.methods!).map(([method, m]) => {
      const resolve = (t: string) => {
        const target = node.lookup(t, isMessage);
        if (!target) throw new Error(`no such type: ${t} (method ${method} of ${node.fullName})`);
        return built(target) as MessageType;
      };
      return { name: method, requestType: resolve(m.requestType), responseType: resolve(m.responseType) };
    });
  }

  /** Every message and enum type of the tree. */
  *allTypes(): Generator<MessageType | EnumType> {
    const walk = function* (n: Node): Generator<MessageType | EnumType> {
      for (const child of n.children().values()) {
        if (isMessage(child) || isEnum(child)) yield built(child);
        if (child.isNamespace) yield* walk(child);
      }
    };
    yield* walk(this.top);
  }
}
