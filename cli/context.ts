import { type Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import { cliIdentity, type Operator, resolveOperator } from './operator.js';
import { type CliIo, Output } from './output.js';

/** Global options every command sees. */
export interface GlobalOptions {
  /** Absolute path of the config file. */
  configFile: string;
  /** Whether the user named the file (`--config` / STRATUS_CONFIG) or it is the default. */
  configExplicit: boolean;
  json: boolean;
}

/** Reads the global options as seen from a (sub)command. */
export function globalOptions(command: Command, io: CliIo): GlobalOptions {
  const opts = command.optsWithGlobals<{ config: string; json?: boolean }>();
  let root = command;
  while (root.parent) root = root.parent;
  const source = root.getOptionValueSource('config');
  return { configFile: resolve(io.cwd, opts.config), configExplicit: source !== 'default', json: opts.json === true };
}

/** The output for a command, honouring --json. */
export function outputFor(command: Command, io: CliIo): Output {
  return new Output(io, globalOptions(command, io).json);
}

/**
 * Loads the config the global options point at. With `allowDefaultMissing`, a missing
 * *default* ./stratus.yaml means "all defaults"; a file the user named must exist.
 */
export function loadCommandConfig(command: Command, io: CliIo, allowDefaultMissing = false): LoadedConfig {
  const g = globalOptions(command, io);
  return loadConfig(g.configFile, { allowMissing: allowDefaultMissing && !g.configExplicit });
}

/** commander argument parser for a TCP port (0 = any free port). */
export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new InvalidArgumentError('must be a whole number from 0 to 65535 (0 picks a free port)');
  }
  return Number(value);
}

/** The operator a command acts as: the global `--as`, else STRATUS_OPERATOR, else the OS user. */
export function operatorOf(command: Command, io: CliIo): Operator {
  return resolveOperator(command.optsWithGlobals<{ as?: string }>().as, io);
}

/** The Temporal client identity (`cli:<login>`) every update or signal of the command is recorded under. */
export function clientIdentity(command: Command, io: CliIo): string {
  return cliIdentity(operatorOf(command, io));
}
