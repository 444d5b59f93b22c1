import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type EmbeddedServer, type EmbeddedServerOptions } from '../devserver/index.js';

/** Starts the embedded Temporal server (loaded lazily: `config check` must not pay for it). */
export async function startServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  if (options.dbFile !== undefined) await mkdir(dirname(options.dbFile), { recursive: true });
  const { startEmbeddedServer } = await import('../devserver/index.js');
  return startEmbeddedServer(options);
}

export { type EmbeddedServer };
