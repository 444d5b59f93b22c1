// The server's gRPC transport: unary calls over node:http2 (cleartext, prior knowledge), as the
// gRPC over HTTP/2 protocol defines them. Every call the SDK makes is unary, so this is all the
// server needs; it replaces grpc-js's server, whose per-call machinery (interceptor chain,
// metadata objects, a stream decoder and a zlib stream per message) was over a third of the
// server's CPU per workflow in bench/devserver.ts.
//
// What a client sees is what grpc-js's server answers: the same status codes and messages for an
// unknown method, a bad content type, an unsupported or failed compression, a message over the
// size limit, an expired deadline; trailers-only responses for errors, with
// `grpc-status-details-bin` when the error carries details.
import * as http2 from 'node:http2';
import { gunzipSync, inflateSync } from 'node:zlib';
import { Status } from './status.js';

/** What a handler learns about its call: whether and when the client gave up on it. */
export interface CallContext {
  readonly cancelled: boolean;
  /** `cancel` runs once if the client cancels, disconnects or the deadline passes first. */
  on(event: 'cancelled', cancel: () => void): void;
}

/** A failed call: status code, message, and `google.rpc.Status` bytes for `grpc-status-details-bin`. */
export interface CallError {
  code: Status;
  details: string;
  statusDetails?: Buffer;
}

export interface UnaryMethod {
  /** Decodes the request (a decode failure is the handler's to answer: it returns a marker). */
  decode(bytes: Buffer): unknown;
  encode(response: unknown): Buffer;
  /** The call's outcome: a response, or a CallError (thrown or returned through the promise). */
  handle(request: unknown, call: CallContext): Promise<unknown>;
}

export interface GrpcServerOptions {
  maxReceiveMessageLength: number;
  maxSendMessageLength: number;
}

const {
  HTTP2_HEADER_PATH,
  HTTP2_HEADER_METHOD,
  HTTP2_HEADER_CONTENT_TYPE,
  HTTP2_HEADER_STATUS,
} = http2.constants;
const ACCEPT_ENCODING = 'identity,deflate,gzip';
const RESPONSE_HEADERS = { [HTTP2_HEADER_STATUS]: 200, [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto', 'grpc-accept-encoding': ACCEPT_ENCODING, 'grpc-encoding': 'identity' };
const OK_TRAILERS = { 'grpc-status': '0', 'grpc-message': '' };

/** A gRPC server for unary methods, by path (`/package.Service/Method`). */
export class GrpcServer {
  readonly #methods = new Map<string, UnaryMethod>();
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #server: http2.Http2Server;

  constructor(readonly options: GrpcServerOptions) {
    // As grpc-js's server: no cap on a session's memory or its concurrent streams (long polls
    // and a burst of calls share one connection per client).
    this.#server = http2.createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER, settings: { maxConcurrentStreams: 2 ** 32 - 1 } });
    this.#server.on('session', (session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      session.on('error', () => session.destroy());
    });
    this.#server.on('stream', (stream, headers) => this.#call(stream, headers));
  }

  add(path: string, method: UnaryMethod): void {
    this.#methods.set(path, method);
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : err.message;
        reject(Object.assign(new Error(`the embedded Temporal server cannot listen on ${host}:${port}: ${why}`), { code: err.code }));
      };
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve((this.#server.address() as { port: number }).port);
      });
    });
  }

  /** Stops accepting; open calls get `graceMs` to finish, then every connection is dropped. */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sessions) s.close();
    // as grpc-js's forceShutdown: the calls still open are reset with CANCEL (the client sees
    // CANCELLED, which it does not retry against a server that is going away)
    const force = setTimeout(() => {
      for (const s of this.#sessions) s.destroy(new Error('the embedded Temporal server is closing'), http2.constants.NGHTTP2_CANCEL);
    }, graceMs);
    await closed;
    clearTimeout(force);
  }

  #call(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => {}); // a reset by the client is seen as 'close' below
    if (headers[HTTP2_HEADER_METHOD] !== 'POST') {
      respondHttp(stream, 405);
      return;
    }
    const contentType = headers[HTTP2_HEADER_CONTENT_TYPE];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      respondHttp(stream, 415);
      return;
    }
    const path = String(headers[HTTP2_HEADER_PATH] ?? '');
    const method = this.#methods.get(path);
    const call = new Call(stream, headers['grpc-timeout']);
    if (!method) {
      stream.resume();
      call.fail({ code: Status.UNIMPLEMENTED, details: `The server does not implement the method ${path}` });
      return;
    }
    const encoding = String(headers['grpc-encoding'] ?? 'identity');
    const chunks: Buffer[] = [];
    let size = 0;
    const max = this.options.maxReceiveMessageLength;
    stream.on('data', (chunk: Buffer) => {
      if (call.done) return;
      size += chunk.length;
      chunks.push(chunk);
      // refused as soon as it is known to be too big, not after reading it all into memory
      if (size > 5 + max) {
        const declared = Buffer.concat(chunks.slice(0, 5)).readUInt32BE(1);
        chunks.length = 0;
        call.fail({ code: Status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${declared} vs. ${max})` });
      }
    });
    stream.on('end', () => {
      if (call.done) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      const message = this.#message(body, encoding);
      if ('code' in message) {
        call.fail(message);
        return;
      }
      let request: unknown;
      try {
        request = method.decode(message.bytes);
      } catch (err) {
        call.fail({ code: Status.INTERNAL, details: `Error deserializing request: ${(err as Error).message}` });
        return;
      }
      method.handle(request, call).then(
        (response) => {
          if (call.done) return;
          let bytes: Buffer;
          try {
            bytes = method.encode(response);
          } catch (err) {
            call.fail({ code: Status.INTERNAL, details: `Error serializing response: ${(err as Error).message}` });
            return;
          }
          if (bytes.length > this.options.maxSendMessageLength) {
            call.fail({ code: Status.RESOURCE_EXHAUSTED, details: `Sent message larger than max (${bytes.length} vs. ${this.options.maxSendMessageLength})` });
            return;
          }
          call.succeed(bytes);
        },
        (err: CallError) => call.fail(err),
      );
    });
  }

  /** The one length-prefixed message of a unary request, inflated; or the error to answer. */
  #message(body: Buffer, encoding: string): { bytes: Buffer } | CallError {
    if (body.length < 5) return { code: Status.UNIMPLEMENTED, details: 'received no request message' };
    const compressed = body[0] === 1;
    const length = body.readUInt32BE(1);
    if (body.length !== 5 + length) {
      return body.length < 5 + length
        ? { code: Status.INTERNAL, details: 'Received a truncated message' }
        : { code: Status.UNIMPLEMENTED, details: 'Received a second request message for server unary call' };
    }
    const max = this.options.maxReceiveMessageLength;
    if (!compressed) {
      if (length > max) return { code: Status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${length} vs. ${max})` };
      return { bytes: body.subarray(5) };
    }
    if (encoding !== 'gzip' && encoding !== 'deflate') {
      return encoding === 'identity'
        ? { code: Status.INTERNAL, details: 'Received compressed message but "grpc-encoding" header was identity' }
        : { code: Status.UNIMPLEMENTED, details: `Received message compressed with unsupported encoding "${encoding}"` };
    }
    try {
      return { bytes: (encoding === 'gzip' ? gunzipSync : inflateSync)(body.subarray(5), { maxOutputLength: max }) };
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return { code: Status.RESOURCE_EXHAUSTED, details: `Received message that decompresses to a size larger than ${max}` };
      }
      return { code: Status.INTERNAL, details: 'Failed to decompress message' };
    }
  }
}

/** One call's response side: answers once, and tells the handler if the client gave up first. */
class Call implements CallContext {
  done = false;
  cancelled = false;
  #listeners: (() => void)[] = [];
  #deadline: NodeJS.Timeout | undefined;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    timeout: string | string[] | undefined,
  ) {
    const ms = typeof timeout === 'string' ? timeoutMs(timeout) : undefined;
    if (ms !== undefined) {
      this.#deadline = setTimeout(() => {
        this.fail({ code: Status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' });
        this.#cancel();
      }, ms);
    }
    stream.once('close', () => {
      if (!this.done) {
        this.done = true;
        this.#cancel();
      }
      clearTimeout(this.#deadline);
    });
  }

  on(_event: 'cancelled', cancel: () => void): void {
    if (this.cancelled) cancel();
    else this.#listeners.push(cancel);
  }

  succeed(bytes: Buffer): void {
    if (!this.#finish()) return;
    const frame = Buffer.allocUnsafe(5);
    frame[0] = 0;
    frame.writeUInt32BE(bytes.length, 1);
    const stream = this.stream;
    try {
      stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
      stream.cork();
      stream.write(frame);
      stream.end(bytes);
    } catch {
      // the connection went away while the answer was made: no one is left to answer
    }
  }

  fail(err: CallError): void {
    if (!this.#finish()) return;
    const headers: http2.OutgoingHttpHeaders = {
      [HTTP2_HEADER_STATUS]: 200,
      [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc+proto',
      'grpc-accept-encoding': ACCEPT_ENCODING,
      'grpc-status': String(err.code ?? Status.UNKNOWN),
      'grpc-message': percentEncode(err.details ?? ''),
    };
    if (err.statusDetails) headers['grpc-status-details-bin'] = err.statusDetails.toString('base64');
    try {
      // trailers-only: one HEADERS frame that ends the stream
      this.stream.respond(headers, { endStream: true });
    } catch {
      // the connection went away while the answer was made: no one is left to answer
    }
  }

  #finish(): boolean {
    if (this.done) return false;
    this.done = true;
    clearTimeout(this.#deadline);
    if (this.stream.destroyed || this.stream.closed) return false;
    return true;
  }

  #cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const l of listeners) l();
  }
}

function respondHttp(stream: http2.ServerHttp2Stream, status: number): void {
  stream.respond({ [HTTP2_HEADER_STATUS]: status }, { endStream: true });
  stream.resume();
}

const UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** `grpc-timeout` (1–8 digits and a unit) in ms; undefined for a malformed value (no deadline). */
export function timeoutMs(value: string): number | undefined {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

/** The gRPC spec's percent-encoding of `grpc-message`: bytes outside 0x20–0x7E, and '%'. */
export function percentEncode(message: string): string {
  if (!/[^\x20-\x24\x26-\x7e]/.test(message)) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
