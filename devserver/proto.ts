// gRPC service definitions from the API description @temporalio/proto ships, so the server
// speaks exactly the API the SDK was compiled against (no vendored .proto files); see
// descriptors.ts for how it is read.
import { Descriptors, type MessageType } from './descriptors.js';
import { decodePlain } from './plain-decoder.js';
import { encodePlain } from './plain-encoder.js';
import type { CallContext, CallError } from './grpc-server.js';
import { Status } from './status.js';

export const descriptors = Descriptors.ofTemporalProto();

/** Plain decoded message: camelCase fields, int64 as number, enums as their string names. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;


const typeCache = new Map<string, MessageType>();
export function type(name: string): MessageType {
  let t = typeCache.get(name);
  if (!t) {
    t = descriptors.lookupType(name);
    typeCache.set(name, t);
  }
  return t;
}

/** Decodes into a plain message (plain-decoder.ts: what decode + toObject({ longs: Number, enums: String, defaults: false }) gives). */
export function decode(typeName: string, buf: Uint8Array): Msg {
  return decodePlain(type(typeName), buf);
}

/** Encodes a plain message (see plain-encoder.ts: same bytes' meaning as Type.fromObject + encode). */
export function encode(typeName: string, obj: Msg): Buffer {
  const bytes = encodePlain(type(typeName), obj);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
}

/** `google.protobuf.Any`: its field keeps the proto name `type_url` in the description (not `typeUrl`). */
export function packAny(typeName: string, obj: Msg): Msg {
  return { type_url: `type.googleapis.com/${typeName}`, value: encode(typeName, obj) };
}

export function unpackAny(any: Msg | undefined): { typeName: string; value: Msg } | undefined {
  const url = any?.type_url ?? any?.typeUrl;
  if (!url) return undefined;
  const typeName = String(url).replace(/^type\.googleapis\.com\//, '');
  return { typeName, value: decode(typeName, any!.value as Uint8Array) };
}

/** Marks a request whose bytes did not decode (see serviceMethods). */
export const DECODE_ERROR = Symbol('decodeError');

export type Handler = (request: Msg, call: CallContext) => Promise<Msg> | Msg;

/** One method of a service: its path on the wire and how its request and response are coded. */
export interface MethodCodec {
  name: string;
  path: string;
  requestType: string;
  responseType: string;
  decodeRequest(bytes: Buffer): Msg;
  encodeResponse(response: Msg): Buffer;
}

/** The methods of a fully-qualified service name. */
export function serviceMethods(serviceName: string): MethodCodec[] {
  return descriptors.lookupService(serviceName).map((method) => {
    const requestType = method.requestType.fullName.slice(1);
    const responseType = method.responseType.fullName.slice(1);
    return {
      name: method.name,
      path: `/${serviceName}/${method.name}`,
      requestType,
      responseType,
      decodeRequest: (buf: Buffer) => {
        try {
          return decode(requestType, buf);
        } catch (err) {
          // answered INVALID_ARGUMENT by the handler wrapper, as the real server does
          return { [DECODE_ERROR]: `${method.name}: the request could not be decoded as ${requestType}: ${(err as Error).message}` };
        }
      },
      encodeResponse: (obj: Msg) => encode(responseType, obj),
    };
  });
}

/** An error carrying a gRPC status code and, optionally, a typed `google.rpc.Status` detail. */
export class GrpcError extends Error {
  constructor(
    readonly code: Status,
    message: string,
    readonly detail?: { typeName: string; value: Msg },
  ) {
    super(message);
    this.name = 'GrpcError';
  }

  toCallError(): CallError {
    const statusDetails = this.detail
      ? encode('google.rpc.Status', { code: this.code, message: this.message, details: [packAny(this.detail.typeName, this.detail.value)] })
      : undefined;
    return { code: this.code, details: this.message, statusDetails };
  }
}

export const notFound = (message: string, detail?: GrpcError['detail']) => new GrpcError(Status.NOT_FOUND, message, detail);
export const invalidArgument = (message: string) => new GrpcError(Status.INVALID_ARGUMENT, message);
export const alreadyExists = (message: string, detail?: GrpcError['detail']) => new GrpcError(Status.ALREADY_EXISTS, message, detail);
export const failedPrecondition = (message: string) => new GrpcError(Status.FAILED_PRECONDITION, message);
export const unimplemented = (method: string) =>
  new GrpcError(Status.UNIMPLEMENTED, `${method} is not implemented by the stratus embedded Temporal server`);

/** Timestamp / Duration helpers (milliseconds <-> {seconds, nanos}). */
export function ts(ms: number): Msg {
  return { seconds: Math.floor(ms / 1000), nanos: Math.round((ms % 1000) * 1e6) };
}
export function tsToMs(t: Msg | undefined | null): number | undefined {
  if (!t) return undefined;
  return Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6);
}
export const durationToMs = tsToMs;
export const msToDuration = ts;
