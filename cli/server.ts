import { type Command } from 'commander';
import { resolve } from 'node:path';
import { type CliIo } from './output.js';
import { loadCommandConfig, outputFor, parsePort } from './context.js';
import { aborted, shutdownSignal } from './signals.js';

/** `stratus server`: the embedded Temporal server on its own (air-gapped CI, tests). */
export function registerServerCommand(program: Command, io: CliIo): void {
  program
    .command('server')
    .description('run the embedded Temporal server alone and print its address; stops on Ctrl-C/SIGTERM')
    .option('-p, --port <port>', 'gRPC port, 0 picks a free one (default: dev.port, 7233)', parsePort)
    .option('--host <host>', 'interface to listen on (default: dev.host, 127.0.0.1)')
    .option('--db <file>', 'keep state in this file across restarts (default: in memory)')
    .action(async (opts: { port?: number; host?: string; db?: string }, command: Command) => {
      const loaded = loadCommandConfig(command, io, true);
      const out = outputFor(command, io);
      const signal = shutdownSignal();
      const { DEFAULT_NAMESPACE } = await import('../workers/index.js');
      const namespace = io.env.TEMPORAL_NAMESPACE || loaded.config.temporal.namespace || DEFAULT_NAMESPACE;
      const dbFile = opts.db === undefined ? undefined : resolve(io.cwd, opts.db);
      const { startServer } = await import('./embedded.js');
      const server = await startServer({
        port: opts.port ?? loaded.config.dev.port,
        host: opts.host ?? loaded.config.dev.host,
        dbFile,
        namespaces: [namespace],
      });
      out.event(
        'server',
        { address: server.address, port: server.port, namespace, dbFile: dbFile ?? null },
        `Temporal server listening on ${server.address} (namespace ${namespace}, ` +
          `${dbFile ? `state in ${dbFile}` : 'state in memory'}). Ctrl-C to stop.`,
      );
      await aborted(signal);
      await server.close();
      out.event('stopped', {}, 'stopped');
    });
}
