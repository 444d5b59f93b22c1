import { type Command } from 'commander';
import { type LoadedConfig } from '../config/load.js';
import { type CliIo } from './output.js';
import { loadCommandConfig, outputFor } from './context.js';

/** Domain sections; each is optional and switches its capability on when present. */
const DOMAIN_SECTIONS = ['release', 'images', 'lifecycle'] as const;

/** `stratus config …`: inspect the configuration. */
export function registerConfigCommands(program: Command, io: CliIo): void {
  const config = program.command('config').description('inspect the stratus configuration');
  config
    .command('check')
    .description('validate the config file: print a one-line summary, or every problem as <path>: <message> (exit 2)')
    .action((_opts: unknown, command: Command) => {
      const loaded = loadCommandConfig(command, io);
      const out = outputFor(command, io);
      out.result({ ok: true, ...summarize(loaded) }, `OK ${plainSummary(loaded)}`);
    });
}

function summarize(loaded: LoadedConfig) {
  const raw = loaded.config as Record<string, unknown>;
  return {
    file: loaded.file,
    temporal: { address: loaded.config.temporal.address ?? null, namespace: loaded.config.temporal.namespace ?? null },
    taskQueues: loaded.config.worker.taskQueues,
    sections: Object.fromEntries(DOMAIN_SECTIONS.map((name) => [name, raw[name] !== undefined])),
  };
}

function plainSummary(loaded: LoadedConfig): string {
  const s = summarize(loaded);
  const on = DOMAIN_SECTIONS.filter((name) => s.sections[name]);
  const off = DOMAIN_SECTIONS.filter((name) => !s.sections[name]);
  const temporal = s.temporal.address ?? 'from the environment (or the embedded dev server)';
  return [
    `${loaded.file}:`,
    `temporal ${temporal};`,
    `task queues ${s.taskQueues.join(', ')};`,
    `configured: ${on.length > 0 ? on.join(', ') : 'none'}`,
    ...(off.length > 0 ? [`(not configured: ${off.join(', ')})`] : []),
  ].join(' ');
}
