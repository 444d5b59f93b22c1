// History events are encoded once, when they are written (their size counts toward
// historySizeBytes), and those bytes are spliced into every response that carries them
// (PollWorkflowTaskQueue, GetWorkflowExecutionHistory[Reverse]) instead of encoding the events
// again for each response. Protobuf allows a message field to be written after the others, so
// the response is its other fields, encoded as usual, followed by the `history` field built from
// the stored bytes: the same message the worker and client decode.
import { encodePlain, writePlain } from './plain-encoder.js';
import { type MethodCodec, type Msg, type } from './proto.js';

const HISTORY = '.temporal.api.history.v1.History';
const bytesOf = new WeakMap<object, Uint8Array>();
let historyEventType: ReturnType<typeof type> | undefined;
let eventsFieldId = 0;

/** The encoded bytes of a history event (encoded on first use; events are never changed once written). */
export function eventBytes(event: Msg): Uint8Array {
  let bytes = bytesOf.get(event);
  if (!bytes) {
    historyEventType ??= type('temporal.api.history.v1.HistoryEvent');
    bytes = encodePlain(historyEventType, event);
    bytesOf.set(event, bytes);
  }
  return bytes;
}

/** A serializer for `typeName` that splices stored event bytes into its `History` field, if it has one. */
export function historySplicingSerializer(typeName: string): ((obj: Msg) => Buffer) | undefined {
  const t = type(typeName);
  const field = t.fieldsArray.find((f) => !f.repeated && f.resolvedType?.fullName === HISTORY);
  if (!field) return undefined;
  eventsFieldId ||= type('temporal.api.history.v1.History').fields.events!.id;
  const name = field.name;
  const tag = (field.id << 3) | 2;
  const eventTag = (eventsFieldId << 3) | 2;
  return (obj) => {
    const events = (obj[name] as Msg | undefined)?.events as Msg[] | undefined;
    const rest = { ...obj };
    delete rest[name];
    const writer = writePlain(t, rest);
    if (events) {
      writer.uint32(tag).fork();
      for (const e of events) writer.uint32(eventTag).bytes(eventBytes(e));
      writer.ldelim();
    }
    const out = writer.finish();
    return Buffer.isBuffer(out) ? out : Buffer.from(out);
  };
}

/** Gives the methods whose response carries a history the splicing serializer. */
export function spliceHistoryBytes(methods: MethodCodec[]): void {
  for (const method of methods) {
    const serialize = historySplicingSerializer(method.responseType);
    if (serialize) method.encodeResponse = serialize;
  }
}
