// The server's own encoder and decoder of plain messages against protobufjs (Type.fromObject +
// encode; decode + toObject), on every event of the recorded histories of test/replay and on the
// awkward cases: both encodings must decode to the same message and have the same length
// (historySizeBytes depends on it), and both decoders must give the same plain object.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePlain } from '../../devserver/plain-decoder.js';
import { encodePlain } from '../../devserver/plain-encoder.js';
import { type Msg, type } from '../../devserver/proto.js';
import type * as protobuf from 'protobufjs';

// the reference: protobufjs's reflection tree of the same description
const jsonModule = createRequire(import.meta.url)('@temporalio/proto/protos/json-module.js') as { default?: protobuf.Root } & protobuf.Root;
const pbRoot = (jsonModule.default ?? jsonModule).resolveAll();
const pbType = (name: string) => pbRoot.lookupType(name);

const EVENT = 'temporal.api.history.v1.HistoryEvent';
const historyType = type(EVENT);
const pbHistoryType = pbType(EVENT);
const dir = fileURLToPath(new URL('../replay/histories', import.meta.url));

/** The events as the server holds them: plain objects (int64 as numbers, enums as names). */
function recordedEvents(): Msg[] {
  const events: Msg[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    for (const e of history.events ?? []) events.push(pbHistoryType.toObject(pbHistoryType.fromObject(e), { longs: Number, enums: String, defaults: false }));
  }
  return events;
}

/** protobufjs's decode + toObject, the reference for decodePlain. */
function decode(typeName: string, bytes: Uint8Array): Msg {
  const t = pbType(typeName);
  return t.toObject(t.decode(bytes), { longs: Number, enums: String, defaults: false });
}

function expectSameAsProtobufjs(typeName: string, obj: Msg): void {
  const t = pbType(typeName);
  const reference = t.encode(t.fromObject(obj)).finish();
  const ours = encodePlain(type(typeName), obj);
  expect(ours.length).toBe(reference.length);
  expect(decode(typeName, ours)).toEqual(decode(typeName, reference));
  expect(decodePlain(type(typeName), reference)).toEqual(decode(typeName, reference));
}

test('every recorded history event encodes to the same message and size as with protobufjs', () => {
  const events = recordedEvents();
  expect(events.length).toBeGreaterThan(1000);
  const types = new Set<string>();
  for (const e of events) {
    types.add(e.eventType as string);
    expectSameAsProtobufjs(EVENT, e);
  }
  expect(types.size).toBeGreaterThan(15);
});

test('zeros, empty strings, maps, repeated enums, Any, unknown keys and unknown enum names', () => {
  expectSameAsProtobufjs(EVENT, {
    eventId: 0,
    eventType: 'EVENT_TYPE_NOT_A_TYPE',
    notAField: 'ignored',
    constructor: 'ignored too',
    workflowExecutionStartedEventAttributes: {
      workflowType: { name: '' },
      attempt: 0,
      memo: { fields: { a: { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') } } },
      header: { fields: {} },
      input: { payloads: [] },
      workflowExecutionExpirationTime: { seconds: 2_000_000_000_123, nanos: 5 },
    },
  });
  expectSameAsProtobufjs('temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse', {
    taskToken: Buffer.from([0, 1, 2, 255]),
    attempt: 3,
    messages: [{ id: 'm', protocolInstanceId: 'u', body: { type_url: 'type.googleapis.com/temporal.api.update.v1.Request', value: Buffer.from([8, 1]) } }],
    queries: { q1: { queryType: 'state', queryArgs: { payloads: [{ data: Buffer.from('1') }] } } },
  });
  expectSameAsProtobufjs('temporal.api.workflowservice.v1.DescribeTaskQueueRequest', {
    namespace: 'default',
    taskQueueTypes: ['TASK_QUEUE_TYPE_WORKFLOW', 'TASK_QUEUE_TYPE_ACTIVITY', 2],
  });
});

test('a message field that is not an object is refused, as by protobufjs', () => {
  expect(() => encodePlain(historyType, { workflowExecutionStartedEventAttributes: 'nope' })).toThrow(/object expected/);
});

test('requests decode as with protobufjs: packed and unpacked repeated, big and negative int64, nested maps', () => {
  const name = 'temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedRequest';
  const t = pbType(name);
  const req = {
    taskToken: Buffer.from('token'),
    identity: 'worker@host',
    commands: [
      { commandType: 'COMMAND_TYPE_START_TIMER', startTimerCommandAttributes: { timerId: '1', startToFireTimeout: { seconds: 9_007_199_254_740, nanos: 999_999_999 } } },
      { commandType: 'COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', upsertWorkflowSearchAttributesCommandAttributes: { searchAttributes: { indexedFields: { k: { data: Buffer.from('"v"') } } } } },
    ],
    sdkMetadata: { langUsedFlags: [1, 2, 300], coreUsedFlags: [] },
    meteringMetadata: { nonfirstLocalActivityExecutionAttempts: 4 },
  };
  const bytes = t.encode(t.fromObject(req)).finish();
  expect(decodePlain(type(name), bytes)).toEqual(decode(name, bytes));
  const ev = { eventId: 2 ** 53 - 1, taskId: -5, eventType: 'EVENT_TYPE_TIMER_FIRED' };
  const evBytes = pbHistoryType.encode(pbHistoryType.fromObject(ev)).finish();
  expect(decodePlain(historyType, evBytes)).toEqual(decode(EVENT, evBytes));
  expect(decodePlain(historyType, evBytes)).toMatchObject({ eventId: 2 ** 53 - 1, taskId: -5 });
});

test('bytes that are not a message are refused', () => {
  expect(() => decodePlain(historyType, Buffer.from([0x0a, 0x05, 0x01]))).toThrow(RangeError);
});
