import { type Command } from 'commander';
import { resolve } from 'node:path';
import { resolveConfigPath } from '../config/load.js';
import { type TemporalTarget } from '../workers/index.js';
import { type EmbeddedServer } from './embedded.js';
import type * as DemoExports from './demo.js';
import { type Demo } from './demo.js';
import { CliError, type CliIo, EXIT_USAGE, type Output } from './output.js';

type DemoModule = typeof DemoExports;
import { loadCommandConfig, outputFor, parsePort } from './context.js';
import { shutdownSignal } from './signals.js';
import { startDevDashboard } from './dashboard.js';
import { writeDevState } from './dev-state.js';
import { loadBundleFromEnv, logLevelFromEnv, readyMessage } from './worker-common.js';

/**
 * `stratus dev`: everything in one process — the embedded Temporal server (unless the
 * environment names a server) plus workers for the configured task queues.
 */
export function registerDevCommand(program: Command, io: CliIo): void {
  program
    .command('dev')
    .description('embedded Temporal server + workers in one process (what `npm start` runs); stops on Ctrl-C/SIGTERM')
    .option('-p, --port <port>', 'embedded server gRPC port, 0 picks a free one (default: dev.port, 7233)', parsePort)
    .option('--db <file>', 'embedded server state file (default: dev.dbFile, .stratus/dev.db)')
    .option('--dashboard-port <port>', 'web dashboard port (default: dev.dashboardPort, 8080; 0 picks a free one)', parsePort)
    .action(async (opts: { port?: number; db?: string; dashboardPort?: number }, command: Command) => {
      let loaded = loadCommandConfig(command, io, true);
      const out = outputFor(command, io);
      const logLevel = logLevelFromEnv(io);
      const { resolveTemporalTarget, runWorkerProcess, summarizeTarget } = await import('../workers/index.js');
      const external = resolveTemporalTarget(loaded.config, io.env);
      if (external.address !== undefined && (opts.port !== undefined || opts.db !== undefined)) {
        throw new CliError(
          `--port and --db configure the embedded server, but Temporal is set to ${external.address} ` +
            `(from ${external.addressSource}); unset TEMPORAL_ADDRESS / temporal.address to use the embedded server`,
          EXIT_USAGE,
        );
      }
      const signal = shutdownSignal();
      // First run (no ./stratus.yaml, embedded server): the local demo of cli/demo.ts.
      const demoModule = !loaded.found && external.address === undefined ? await import('./demo.js') : undefined;
      const demo = demoModule ? await demoModule.prepareDemo(io, out, loaded) : undefined;
      if (demo) loaded = demo.loaded;
      let target: TemporalTarget = external;
      let server: EmbeddedServer | undefined;
      if (external.address === undefined) {
        const dbFile = opts.db !== undefined ? resolve(io.cwd, opts.db) : resolveConfigPath(loaded, loaded.config.dev.dbFile);
        const { startServer } = await import('./embedded.js');
        server = await startServer({
          port: opts.port ?? loaded.config.dev.port,
          host: loaded.config.dev.host,
          dbFile,
          namespaces: [external.namespace],
        });
        target = {
          address: server.address,
          addressSource: 'embedded',
          namespace: external.namespace,
          connectionOptions: { address: server.address },
        };
        out.event(
          'server',
          { address: server.address, port: server.port, namespace: target.namespace, dbFile },
          `Temporal server (embedded) listening on ${server.address} (namespace ${target.namespace}, state in ${dbFile})`,
        );
      } else {
        out.event(
          'temporal',
          { temporal: summarizeTarget(external) },
          `Using Temporal at ${external.address} (from ${external.addressSource}, namespace ${external.namespace})`,
        );
      }
      if (demoModule && demo?.cloud) await seedDemoLifecycle(demoModule, demo, target, out);
      const dashboard = await startDevDashboard({ loaded, target, io, out, port: opts.dashboardPort, ...(demo?.cloud ? { mailbox: demo.cloud.mailbox } : {}) });
      // tell the client commands run from this directory where this server is (removed on stop)
      const forgetDevState = server
        ? writeDevState(io.cwd, { pid: process.pid, address: server.address, namespace: target.namespace, dashboard: dashboard?.url ?? null, startedAt: new Date().toISOString() })
        : undefined;
      try {
        await runWorkerProcess({
          loaded,
          target,
          signal,
          workflowBundle: await loadBundleFromEnv(io),
          logLevel,
          onReady: (info) => {
            out.event('ready', { temporal: info.target, taskQueues: info.taskQueues }, readyMessage(info));
            if (demoModule && demo && loaded.found) void demoModule.runDemo(demo, target, out, dashboard?.url);
          },
        });
      } finally {
        forgetDevState?.();
        await dashboard?.close();
        await server?.close();
        await demo?.cloud?.close();
      }
      out.event('stopped', {}, 'stopped');
    });
}

/** Starts the demo's lifecycle with its earlier warnings before the workers do (a warning on failure). */
async function seedDemoLifecycle(demoModule: DemoModule, demo: Demo, target: TemporalTarget, out: Output): Promise<void> {
  try {
    const { Client } = await import('@temporalio/client');
    const { connectClient } = await import('../workers/temporal-connection.js');
    const connection = await connectClient(target);
    try {
      await demoModule.startDemoLifecycle(new Client({ connection, namespace: target.namespace, identity: demoModule.DEMO_IDENTITY }), demo);
    } finally {
      await connection.close();
    }
  } catch (error) {
    out.event('demo-failed', { error: (error as Error).message }, `warning: the demo lifecycle could not start: ${(error as Error).message}`);
  }
}
