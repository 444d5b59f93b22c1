// `stratus dashboard [--port] [--host] [--operators-file FILE]`: the web dashboard on its own (also
// started by `stratus dev`). Read-only unless operators are configured: each has their own token
// and the dashboard knows only its SHA-256, from an operators file (`--operators-file` or
// `dashboard.operatorsFile`) and/or STRATUS_DASHBOARD_OPERATORS. The older single token
// (STRATUS_DASHBOARD_TOKEN or `--token-env`) still works as the operator named `operator`.
import { type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type LoadedConfig, resolveConfigPath } from '../config/load.js';
import { hashToken, type OperatorEntry, OperatorsError, parseOperators } from '../dashboard/auth.js';
import { type Mailbox } from '../dashboard/mailbox-page.js';
import { type TemporalTarget } from '../workers/temporal-connection.js';
import { loadCommandConfig, outputFor, parsePort } from './context.js';
import { CliError, type CliIo, EXIT_USAGE, type Output } from './output.js';
import { aborted, shutdownSignal } from './signals.js';

/** The env var holding the (legacy, single) operator token unless `--token-env` names another. */
export const DEFAULT_TOKEN_ENV = 'STRATUS_DASHBOARD_TOKEN';
/** The env var holding `login: sha256hex(token)` pairs (separated by newlines or ";"). */
export const OPERATORS_ENV = 'STRATUS_DASHBOARD_OPERATORS';
/** The login the legacy single token acts as. */
export const LEGACY_LOGIN = 'operator';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** A running dashboard. */
export interface RunningDashboard {
  url: string;
  actions: boolean;
  /** The logins that may act. */
  operators: string[];
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

/**
 * Every operator the dashboard accepts: the operators file (`--operators-file`, else
 * `dashboard.operatorsFile`), STRATUS_DASHBOARD_OPERATORS, and the legacy single token as
 * `operator`. A login listed twice, a bad line or an unreadable file is a usage error naming it.
 */
export function loadOperators(io: CliIo, loaded: LoadedConfig, opts: { operatorsFile?: string; tokenEnv?: string }): OperatorEntry[] {
  const all: Array<{ entry: OperatorEntry; source: string }> = [];
  const add = (entries: OperatorEntry[], source: string) => {
    for (const entry of entries) {
      const twice = all.find((a) => a.entry.login === entry.login);
      if (twice) throw new CliError(`${source}: the operator ${entry.login} is already given by ${twice.source}`, EXIT_USAGE);
      all.push({ entry, source });
    }
  };
  const configured = loaded.config.dashboard?.operatorsFile;
  const [file, field] = opts.operatorsFile !== undefined
    ? [resolve(io.cwd, opts.operatorsFile), '--operators-file']
    : configured !== undefined ? [resolveConfigPath(loaded, configured), 'dashboard.operatorsFile'] : [undefined, ''];
  try {
    if (file !== undefined) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new CliError(`${field}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, EXIT_USAGE);
      }
      add(parseOperators(text, file), field);
    }
    const fromEnv = io.env[OPERATORS_ENV];
    if (fromEnv !== undefined && fromEnv.trim() !== '') add(parseOperators(fromEnv, OPERATORS_ENV), OPERATORS_ENV);
  } catch (error) {
    if (error instanceof OperatorsError) throw new CliError(error.message, EXIT_USAGE);
    throw error;
  }
  const token = operatorToken(io, opts.tokenEnv);
  if (token !== undefined) add([{ login: LEGACY_LOGIN, hash: Buffer.from(hashToken(token), 'hex') }], opts.tokenEnv ?? DEFAULT_TOKEN_ENV);
  return all.map((a) => a.entry);
}

/** Starts the dashboard against `target` (a lazy connection: it serves even while Temporal is down). */
export async function launchDashboard(opts: {
  loaded: LoadedConfig;
  target: TemporalTarget;
  host: string;
  port: number;
  operators: OperatorEntry[];
  mailbox?: Mailbox;
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
      operators: opts.operators,
      ...(opts.mailbox ? { mailbox: opts.mailbox } : {}),
      ...(images ? { siteDir: resolveConfigPath(opts.loaded, images.site.outDir), siteTitle: images.site.title } : {}),
      host: opts.host,
      port: opts.port,
    });
    return {
      url: server.url,
      actions: opts.operators.length > 0,
      operators: opts.operators.map((o) => o.login),
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
  const who = d.operators.length > 5 ? `${d.operators.slice(0, 5).join(', ')} and ${d.operators.length - 5} more` : d.operators.join(', ');
  out.event('dashboard', { url: d.url, actions: d.actions, operators: d.operators },
    `Dashboard on ${d.url}/ (${d.actions ? `actions for ${who}, each with their own token` : `read-only: give operators with --operators-file, dashboard.operatorsFile or ${OPERATORS_ENV} to enable actions`})`);
}

export function registerDashboardCommand(program: Command, io: CliIo): void {
  program
    .command('dashboard')
    .description('web dashboard of release trains, image streams and lifecycle sweeps (read-only unless an operator token is set)')
    .option('-p, --port <port>', 'port to listen on (default: dev.dashboardPort, 8080; 0 picks a free one)', parsePort)
    .option('--host <host>', 'interface to listen on (default: dev.host, 127.0.0.1)')
    .option('--operators-file <file>', 'file of "login: sha256hex(token)" lines, one per operator (default: dashboard.operatorsFile)')
    .option('--token-env <NAME>', `environment variable holding a single shared token, acting as the operator "${LEGACY_LOGIN}" (default ${DEFAULT_TOKEN_ENV})`)
    .action(async (opts: { port?: number; host?: string; tokenEnv?: string; operatorsFile?: string }, command: Command) => {
      const loaded = loadCommandConfig(command, io, true);
      const out = outputFor(command, io);
      const operators = loadOperators(io, loaded, opts);
      const { resolveTemporalTarget } = await import('../workers/temporal-connection.js');
      const target = resolveTemporalTarget(loaded.config, io.env);
      const signal = shutdownSignal();
      const dashboard = await launchDashboard({
        loaded, target, operators, io, host: opts.host ?? loaded.config.dev.host, port: opts.port ?? loaded.config.dev.dashboardPort,
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
export async function startDevDashboard(opts: { loaded: LoadedConfig; target: TemporalTarget; io: CliIo; out: Output; port?: number; mailbox?: Mailbox }): Promise<RunningDashboard | undefined> {
  try {
    const operators = loadOperators(opts.io, opts.loaded, {});
    const d = await launchDashboard({
      loaded: opts.loaded, target: opts.target, operators, io: opts.io, ...(opts.mailbox ? { mailbox: opts.mailbox } : {}), host: opts.loaded.config.dev.host, port: opts.port ?? opts.loaded.config.dev.dashboardPort,
    });
    announceDashboard(opts.out, d);
    return d;
  } catch (error) {
    opts.out.event('dashboard-failed', { error: (error as Error).message }, `warning: no dashboard: ${(error as Error).message}`);
    return undefined;
  }
}
