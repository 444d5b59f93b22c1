// grpc-js settings for a server answering thousands of small calls a second (a burst of workflows
// is about eight calls each). Both are measured hot spots of bench/devserver.ts:
// - channelz (per-call statistics for a debugging service this server does not offer) is off;
// - the SDK's Rust core gzips every request. grpc-js inflates each one through a new zlib
//   stream (a stream object, events and a thread-pool round trip per message), which was a
//   third of the server's CPU per workflow; a one-shot synchronous inflate of the same bytes
//   gives the same result with the same size limit and error codes.
import * as grpc from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import { type ZlibOptions, gunzipSync, inflateSync } from 'node:zlib';

export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': 128 * 1024 * 1024,
  'grpc.max_send_message_length': 128 * 1024 * 1024,
  'grpc.enable_channelz': 0,
};

type Decompress = (this: { maxReceiveMessageSize: number }, message: Buffer, encoding: string) => Buffer | Promise<Buffer>;

let installed = false;

/** Replaces grpc-js's per-message zlib stream by a one-shot inflate (once per process). */
export function useOneShotInflate(): void {
  if (installed) return;
  installed = true;
  let proto: { decompressMessage?: Decompress } | undefined;
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@grpc/grpc-js/build/src/server-interceptors.js') as { BaseServerInterceptingCall?: { prototype: { decompressMessage?: Decompress } } };
    proto = mod.BaseServerInterceptingCall?.prototype;
  } catch {
    return; // another grpc-js layout: keep its own decompression
  }
  const original = proto?.decompressMessage;
  if (!proto || typeof original !== 'function' || original.length !== 2) return;
  proto.decompressMessage = function (message, encoding) {
    if (encoding !== 'gzip' && encoding !== 'deflate') return original.call(this, message, encoding);
    const limit = this.maxReceiveMessageSize;
    const opts: ZlibOptions = limit > 0 ? { maxOutputLength: limit } : {};
    try {
      return (encoding === 'gzip' ? gunzipSync : inflateSync)(message.subarray(5), opts);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return Promise.reject({ code: grpc.status.RESOURCE_EXHAUSTED, details: `Received message that decompresses to a size larger than ${limit}` });
      }
      return Promise.reject({ code: grpc.status.INTERNAL, details: 'Failed to decompress message' });
    }
  };
}
