// The server's own gRPC transport (devserver/grpc-server.ts), spoken to by clients it did not
// write: grpc-js's client (as @temporalio/client uses it) and a bare node:http2 client for what
// a gRPC client never sends. Each answer is the one grpc-js's server gave before.
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import { google, temporal } from '@temporalio/proto';
import { startEmbeddedServer, type EmbeddedServer } from '../../devserver/index.js';
import { GrpcServer, percentEncode, timeoutMs } from '../../devserver/grpc-server.js';
import { encode } from '../../devserver/proto.js';

const WS = '/temporal.api.workflowservice.v1.WorkflowService';
let server: EmbeddedServer;
let client: grpc.Client;

beforeAll(async () => {
  server = await startEmbeddedServer({ port: 0 });
  client = new grpc.Client(server.address, grpc.credentials.createInsecure());
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

type Reply = { err: (grpc.ServiceError & { metadata?: grpc.Metadata }) | null; bytes?: Buffer };
const id = (b: Buffer) => b;

function unary(c: grpc.Client, path: string, body: Buffer, options: grpc.CallOptions = {}, onCall?: (call: grpc.ClientUnaryCall) => void): Promise<Reply> {
  return new Promise((resolve) => {
    const call = c.makeUnaryRequest(path, id, id, body, new grpc.Metadata(), options, (err, bytes) => resolve({ err: err as Reply['err'], bytes }));
    onCall?.(call);
  });
}

const req = (type: string, msg: Record<string, unknown>) => encode(type, msg);
const decoded = <T>(ctor: { decode(b: Uint8Array): T }, reply: Reply): T => {
  expect(reply.err).toBeNull();
  return ctor.decode(reply.bytes!);
};

test('a path no service has answers UNIMPLEMENTED naming the path', async () => {
  const { err } = await unary(client, '/temporal.api.nosuch.v1.NoService/Frob', Buffer.alloc(0));
  expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
  expect(err?.details).toBe('The server does not implement the method /temporal.api.nosuch.v1.NoService/Frob');
});

test('a gzip-compressed request (as the SDK core sends every one) is inflated and answered', async () => {
  const gz = new grpc.Client(server.address, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip });
  try {
    const reply = await unary(gz, `${WS}/DescribeNamespace`, req('temporal.api.workflowservice.v1.DescribeNamespaceRequest', { namespace: 'default' }));
    expect(decoded(temporal.api.workflowservice.v1.DescribeNamespaceResponse, reply).namespaceInfo?.name).toBe('default');
  } finally {
    gz.close();
  }
});

test('an error with details carries them in grpc-status-details-bin, and a non-ASCII message arrives intact', async () => {
  const start = (workflowId: string) =>
    req('temporal.api.workflowservice.v1.StartWorkflowExecutionRequest', {
      namespace: 'default', workflowId, requestId: `r-${Math.random()}`, workflowType: { name: 'w' }, taskQueue: { name: 'transport-q' },
      workflowIdConflictPolicy: 'WORKFLOW_ID_CONFLICT_POLICY_FAIL',
    });
  const workflowId = 'grüße-100%-wf';
  expect((await unary(client, `${WS}/StartWorkflowExecution`, start(workflowId))).err).toBeNull();
  const { err } = await unary(client, `${WS}/StartWorkflowExecution`, start(workflowId));
  expect(err?.code).toBe(grpc.status.ALREADY_EXISTS);
  expect(err?.details).toContain(workflowId);
  const [bin] = err!.metadata!.get('grpc-status-details-bin') as Buffer[];
  const status = google.rpc.Status.decode(bin!);
  expect(status.code).toBe(grpc.status.ALREADY_EXISTS);
  expect(status.details.map((d) => d.type_url)).toEqual(['type.googleapis.com/temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure']);
  expect(percentEncode('grüße 100%')).toBe('gr%C3%BC%C3%9Fe 100%25');
});

test('a long poll past its deadline answers DEADLINE_EXCEEDED and leaves no poller behind to swallow the next task', async () => {
  const taskQueue = 'transport-deadline-q';
  const poll = req('temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest', { namespace: 'default', taskQueue: { name: taskQueue }, identity: 'gone' });
  const { err } = await unary(client, `${WS}/PollWorkflowTaskQueue`, poll, { deadline: Date.now() + 300 });
  expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  await startAndPollOnce(taskQueue, 'after-deadline');
});

test('a long poll the client cancels is dropped: the next task goes to the next poller', async () => {
  const taskQueue = 'transport-cancel-q';
  const poll = req('temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest', { namespace: 'default', taskQueue: { name: taskQueue }, identity: 'gone' });
  const { err } = await unary(client, `${WS}/PollWorkflowTaskQueue`, poll, {}, (call) => setTimeout(() => call.cancel(), 200));
  expect(err?.code).toBe(grpc.status.CANCELLED);
  await startAndPollOnce(taskQueue, 'after-cancel');
});

async function startAndPollOnce(taskQueue: string, workflowId: string): Promise<void> {
  await unary(client, `${WS}/StartWorkflowExecution`, req('temporal.api.workflowservice.v1.StartWorkflowExecutionRequest', {
    namespace: 'default', workflowId, requestId: workflowId, workflowType: { name: 'w' }, taskQueue: { name: taskQueue },
  }));
  const poll = req('temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest', { namespace: 'default', taskQueue: { name: taskQueue }, identity: 'live' });
  const task = decoded(temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse, await unary(client, `${WS}/PollWorkflowTaskQueue`, poll, { deadline: Date.now() + 5000 }));
  expect(task.workflowExecution?.workflowId).toBe(workflowId);
}

test('a second server on a port in use fails with a message naming the address', async () => {
  await expect(startEmbeddedServer({ port: server.port })).rejects.toThrow(`the embedded Temporal server cannot listen on 127.0.0.1:${server.port}: the port is in use`);
});

describe('protocol edges, on a bare transport', () => {
  let bare: GrpcServer;
  let address: string;
  beforeAll(async () => {
    bare = new GrpcServer({ maxReceiveMessageLength: 1000, maxSendMessageLength: 1000 });
    bare.add('/t.T/Echo', { decode: (b) => b, encode: (b) => b as Buffer, handle: async (r) => r });
    bare.add('/t.T/Big', { decode: (b) => b, encode: (b) => b as Buffer, handle: async () => Buffer.alloc(2000) });
    address = `127.0.0.1:${await bare.listen('127.0.0.1', 0)}`;
  });
  afterAll(() => bare?.close(100));

  test('a request over the size limit is RESOURCE_EXHAUSTED, a response over it too', async () => {
    const c = new grpc.Client(address, grpc.credentials.createInsecure());
    try {
      expect((await unary(c, '/t.T/Echo', Buffer.from('hi'))).bytes?.toString()).toBe('hi');
      const big = await unary(c, '/t.T/Echo', Buffer.alloc(1500));
      expect(big.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(big.err?.details).toBe('Received message larger than max (1500 vs. 1000)');
      const out = await unary(c, '/t.T/Big', Buffer.alloc(1));
      expect(out.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(out.err?.details).toBe('Sent message larger than max (2000 vs. 1000)');
    } finally {
      c.close();
    }
  });

  async function raw(headers: http2.OutgoingHttpHeaders, body: Buffer): Promise<Record<string, unknown>> {
    const session = http2.connect(`http://${address}`);
    try {
      return await new Promise((resolve, reject) => {
        const s = session.request({ ':method': 'POST', ':path': '/t.T/Echo', 'content-type': 'application/grpc', te: 'trailers', ...headers });
        let got: Record<string, unknown> = {};
        s.on('response', (h) => (got = { ...got, ...h }));
        s.on('trailers', (h) => (got = { ...got, ...h }));
        s.on('error', reject);
        s.on('data', () => {});
        s.on('close', () => resolve(got));
        s.end(body);
      });
    } finally {
      session.close();
    }
  }
  const frame = (compressed: boolean, payload: Buffer) => Buffer.concat([Buffer.from([compressed ? 1 : 0]), Buffer.from(Uint32Array.of(payload.length).buffer).reverse(), payload]);

  test('a request that is not gRPC gets HTTP 415; gzip, deflate and identity are advertised', async () => {
    expect((await raw({ 'content-type': 'text/plain' }, Buffer.from('x')))[':status']).toBe(415);
    const ok = await raw({ 'grpc-encoding': 'gzip' }, frame(true, gzipSync(Buffer.from('zipped'))));
    expect(ok).toMatchObject({ ':status': 200, 'grpc-status': '0', 'grpc-accept-encoding': 'identity,deflate,gzip' });
  });

  test('an encoding the server lacks is UNIMPLEMENTED, a compressed message marked identity INTERNAL, bad gzip INTERNAL', async () => {
    expect(await raw({ 'grpc-encoding': 'br' }, frame(true, Buffer.from('x')))).toMatchObject({
      'grpc-status': '12', 'grpc-message': 'Received message compressed with unsupported encoding "br"',
    });
    expect(await raw({}, frame(true, Buffer.from('x')))).toMatchObject({ 'grpc-status': '13' });
    expect(await raw({ 'grpc-encoding': 'gzip' }, frame(true, Buffer.from('not gzip')))).toMatchObject({ 'grpc-status': '13', 'grpc-message': 'Failed to decompress message' });
    expect(await raw({ 'grpc-encoding': 'gzip' }, frame(true, gzipSync(Buffer.alloc(5000))))).toMatchObject({
      'grpc-status': '8', 'grpc-message': 'Received message that decompresses to a size larger than 1000',
    });
  });

  test('grpc-timeout is read in every unit the protocol has', () => {
    expect([timeoutMs('2H'), timeoutMs('3M'), timeoutMs('70S'), timeoutMs('250m'), timeoutMs('5000u'), timeoutMs('9n')]).toEqual([7_200_000, 180_000, 70_000, 250, 5, 9e-6]);
    expect(timeoutMs('123456789S')).toBeUndefined();
    expect(timeoutMs('5s')).toBeUndefined();
  });
});
