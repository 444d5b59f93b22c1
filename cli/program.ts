import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE } from '../config/load.js';
import { registerConfigCommands } from './config.js';
import { registerDevCommand } from './dev.js';
import { registerAuditCommand } from './audit.js';
import { registerDashboardCommand } from './dashboard.js';
import { registerReleaseCommands } from './release.js';
import { registerImageCommands } from './image.js';
import { registerSiteCommands } from './site.js';
import { registerLifecycleCommands } from './lifecycle.js';
import { registerInstanceCommands } from './instance.js';
import { type CliIo } from './output.js';
import { registerServerCommand } from './server.js';
import { registerWorkerCommand } from './worker.js';

/** Builds the `stratus` command tree; errors are thrown (exitOverride), not exited. */
export function createProgram(io: CliIo): Command {
  const program = new Command('stratus')
    .description('release-engineering engine on Temporal: release trains, image pipelines, resource lifecycle')
    .version(packageVersion(), '-V, --version')
    .addOption(
      new Option('-c, --config <file>', 'config file').env('STRATUS_CONFIG').default(DEFAULT_CONFIG_FILE),
    )
    .option('--json', 'machine-readable output: one JSON object per line on stdout')
    .option('--as <login>', 'the operator recorded in the workflow history for what this command does (default: STRATUS_OPERATOR, else the OS user)')
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  registerConfigCommands(program, io);
  registerServerCommand(program, io);
  registerWorkerCommand(program, io);
  registerDevCommand(program, io);
  registerReleaseCommands(program, io);
  registerImageCommands(program, io);
  registerSiteCommands(program, io);
  registerLifecycleCommands(program, io);
  registerInstanceCommands(program, io);
  registerDashboardCommand(program, io);
  registerAuditCommand(program, io);
  return program;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
