// Command line of bin/stratus-temporal. Understands the two ways the Temporal SDK launches an
// "existing-path" server, so TestWorkflowEnvironment can use it unchanged:
//   stratus-temporal <port> [...]                               the time-skipping test server
//   stratus-temporal server start-dev --port P --namespace NS …  the dev server (real time)
// and its own: stratus-temporal [--port P] [--ip H] [--db FILE] [--namespace NS] [--time-skipping]
import { startEmbeddedServer, type EmbeddedServerOptions } from './index.js';

export function parseServerArgs(argv: string[]): EmbeddedServerOptions {
  const opts: EmbeddedServerOptions = { namespaces: [], searchAttributes: {} };
  let args = [...argv];
  if (args[0] && /^\d+$/.test(args[0])) {
    opts.port = Number(args[0]);
    opts.timeSkipping = true;
    args = args.slice(1);
  } else if (args[0] === 'server' && args[1] === 'start-dev') {
    args = args.slice(2);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.includes('=') && a.startsWith('--') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port':
      case '-p': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--port must be a port number, got ${JSON.stringify(v)}`);
        opts.port = Number(v);
        break;
      }
      case '--ip':
      case '--host':
        opts.host = value();
        break;
      case '--namespace':
      case '-n':
        opts.namespaces!.push(value());
        break;
      case '--db':
      case '--db-filename':
      case '-f':
        opts.dbFile = value();
        break;
      case '--time-skipping':
        opts.timeSkipping = true;
        break;
      case '--search-attribute': {
        const v = value();
        const eq = v.indexOf('=');
        if (eq <= 0) throw new Error(`--search-attribute takes NAME=TYPE, got ${JSON.stringify(v)}`);
        opts.searchAttributes![v.slice(0, eq)] = v.slice(eq + 1);
        break;
      }
      // accepted for compatibility with `temporal server start-dev`, no effect here
      case '--ui-port':
      case '--log-level':
      case '--log-format':
      case '--dynamic-config-value':
      case '--ui-ip':
      case '--metrics-port':
        value();
        break;
      case '--headless':
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  if (opts.namespaces!.length === 0) delete opts.namespaces;
  return opts;
}

export async function main(argv: string[]): Promise<void> {
  let opts: EmbeddedServerOptions;
  try {
    opts = parseServerArgs(argv);
  } catch (err) {
    process.stderr.write(`stratus-temporal: ${(err as Error).message}\nusage: stratus-temporal <port> | server start-dev [--port P] [--namespace NS] [--ip IP] [--db-filename FILE]\n`);
    process.exit(2);
  }
  const started = Date.now();
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  try {
    server = await startEmbeddedServer(opts);
  } catch (err) {
    process.stderr.write(`stratus-temporal: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(
    `stratus-temporal listening on ${server.address} (${opts.timeSkipping ? 'time-skipping test server' : 'dev server'}${opts.dbFile ? `, state in ${opts.dbFile}` : ''}) in ${Date.now() - started} ms\n`,
  );
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
