// `stratus dashboard [--port] [--host] [--token-env NAME]`: the web dashboard on its own (also
// started by `stratus dev`). Read-only unless an operator token is set; the token is never printed.
import { type Command } from 'commander';
import { type LoadedConfig, resolveConfigPath } from '../config/load.js';
import { type TemporalTarget } from '../workers/temporal-connection.js';
import { loadCommandConfig, outputFor, parsePort } from './context.js';
import { CliError, type CliIo, EXIT_USAGE, type Output } from './output.js';
import { aborted, shutdownSignal } from './signals.js';

/** The env var holding the operator token unless `--token-env` names another. */
export const DEFAULT_TOKEN_ENV = 'STRATUS_DASHBOARD_TOKEN';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** A running dashboard. */
export interface RunningDashboard {
  url: string;
  actions: boolean;
  close(): Promise<void>;
}

/** The operator token from `tokenEnv` (or STRATUS_DASHBOARD_TOKEN); a named but empty variable is an error. */
export function operatorToken(io: CliIo, tokenEnv: string | undefined): string | undefined {
  if (tokenEnv !== undefined && !ENV_NAME.test(tokenEnv)) throw new CliError(`--token-env: ${JSON.stringify(tokenEnv)} is not an environment variable name`, EXIT_USAGE);
  const name = tokenEnv ?? DEFAULT_TOKEN_ENV;
  const value = io.env[name];
  if (value === undefined || value === '') {
    if (tokenEnv !== undefined) throw new CliError(`--token-env: the environment variable ${name} is not set (it must hold the operator token)`, EXIT_USAGE);
    return undefined;
  }
  if (value.length < 8) throw new CliError(`${name}: the operator token must be at least 8 characters`, EXIT_USAGE);
  return value;
}

/** Starts the dashboard against `target` (a lazy connection: it serves even while Temporal is down). */
export async function launchDashboard(opts: {
  loaded: LoadedConfig;
  target: TemporalTarget;
  host: string;
  port: number;
  token: string | undefined;
  io: CliIo;
}): Promise<RunningDashboard> {
  const { Connection } = await import('@temporalio/client');
  const { startDashboard } = await import('../dashboard/server.js');
  const address = opts.target.address ?? `${opts.loaded.config.dev.host}:${opts.loaded.config.dev.port}`;
  const { tls, apiKey, metadata } = opts.target.connectionOptions;
  const connection = Connection.lazy({ address, ...(tls !== undefined ? { tls } : {}), ...(apiKey !== undefined ? { apiKey } : {}), ...(metadata !== undefined ? { metadata } : {}) });
  const images = opts.loaded.config.images;
  try {
    const server = await startDashboard({
      connection,
      namespace: opts.target.namespace,
      temporalAddress: address,
      token: opts.token,
      defaultOperator: opts.io.env.USER ?? opts.io.env.LOGNAME ?? 'operator',
      ...(images ? { siteDir: resolveConfigPath(opts.loaded, images.site.outDir), siteTitle: images.site.title } : {}),
      host: opts.host,
      port: opts.port,
    });
    return {
      url: server.url,
      actions: opts.token !== undefined,
      close: async () => {
        await server.close();
        await connection.close().catch(() => undefined);
      },
    };
  } catch (error) {
    await connection.close().catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new CliError(`the dashboard port ${opts.port} on ${opts.host} is in use: pass --port (or set dev.dashboardPort)`);
    throw error;
  }
}

/** "Dashboard on http://…" (and whether actions are on). */
export function announceDashboard(out: Output, d: RunningDashboard): void {
  out.event('dashboard', { url: d.url, actions: d.actions },
    `Dashboard on ${d.url}/ (${d.actions ? 'actions enabled with the operator token' : 'read-only: set STRATUS_DASHBOARD_TOKEN to enable actions'})`);
}

export function registerDashboardCommand(program: Command, io: CliIo): void {
  program
    .command('dashboard')
    .description('web dashboard of release trains, image streams and lifecycle sweeps (read-only unless an operator token is set)')
    .option('-p, --port <port>', 'port to listen on (default: dev.dashboardPort, 8080; 0 picks a free one)', parsePort)
    .option('--host <host>', 'interface to listen on (default: dev.host, 127.0.0.1)')
    .option('--token-env <NAME>', `environment variable holding the operator token (default ${DEFAULT_TOKEN_ENV})`)
    .action(async (opts: { port?: number; host?: string; tokenEnv?: string }, command: Command) => {
      const loaded = loadCommandConfig(command, io, true);
      const out = outputFor(command, io);
      const token = operatorToken(io, opts.tokenEnv);
      const { resolveTemporalTarget } = await import('../workers/temporal-connection.js');
      const target = resolveTemporalTarget(loaded.config, io.env);
      const signal = shutdownSignal();
      const dashboard = await launchDashboard({
        loaded, target, token, io, host: opts.host ?? loaded.config.dev.host, port: opts.port ?? loaded.config.dev.dashboardPort,
      });
      announceDashboard(out, dashboard);
      await aborted(signal);
      await dashboard.close();
      out.event('stopped', {}, 'stopped');
    });
}

/**
 * The dashboard of `stratus dev`: a busy port is a warning, not a failure (the server and the
 * workers matter more), and the URL is printed.
 */
export async function startDevDashboard(opts: { loaded: LoadedConfig; target: TemporalTarget; io: CliIo; out: Output; port?: number }): Promise<RunningDashboard | undefined> {
  try {
    const token = operatorToken(opts.io, undefined);
    const d = await launchDashboard({
      loaded: opts.loaded, target: opts.target, token, io: opts.io, host: opts.loaded.config.dev.host, port: opts.port ?? opts.loaded.config.dev.dashboardPort,
    });
    announceDashboard(opts.out, d);
    return d;
  } catch (error) {
    opts.out.event('dashboard-failed', { error: (error as Error).message }, `warning: no dashboard: ${(error as Error).message}`);
    return undefined;
  }
}
