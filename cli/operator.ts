// Who is acting: the operator a CLI command records, from `--as <login>`, else STRATUS_OPERATOR,
// else the OS user. The login becomes the Temporal client identity `cli:<login>`, so every
// update or signal the command sends names its operator in the workflow history (the audit
// view reads it back from there); a release approval also carries it as the approver.
import { userInfo } from 'node:os';
import { type CliIo, CliError, EXIT_USAGE } from './output.js';

/** A login: letters, digits and `._@-`, 1–64 characters, starting with a letter or digit. */
export const OPERATOR_LOGIN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Where the operator's login came from, for messages. */
export type OperatorSource = '--as' | 'STRATUS_OPERATOR' | 'os-user';

export interface Operator {
  login: string;
  source: OperatorSource;
}

/** Checks a login; the message names the field it came from. */
export function validateOperatorLogin(login: string, field: string): string {
  if (!OPERATOR_LOGIN.test(login)) {
    throw new CliError(`${field}: "${login.slice(0, 80)}" is not a valid operator login (letters, digits and . _ @ -, at most 64 characters)`, EXIT_USAGE);
  }
  return login;
}

/** The operator of a command: `--as`, else STRATUS_OPERATOR, else the OS user. */
export function resolveOperator(asOption: string | undefined, io: Pick<CliIo, 'env'>): Operator {
  if (asOption !== undefined) return { login: validateOperatorLogin(asOption, '--as'), source: '--as' };
  const fromEnv = io.env.STRATUS_OPERATOR;
  if (fromEnv !== undefined && fromEnv !== '') return { login: validateOperatorLogin(fromEnv, 'STRATUS_OPERATOR'), source: 'STRATUS_OPERATOR' };
  let osUser = 'unknown';
  try {
    osUser = userInfo().username;
  } catch {
    // no passwd entry (some containers): the history says "unknown"
  }
  const login = OPERATOR_LOGIN.test(osUser) ? osUser : 'unknown';
  return { login, source: 'os-user' };
}

/** The Temporal client identity that records a CLI operator in the workflow history. */
export function cliIdentity(operator: Operator): string {
  return `cli:${operator.login}`;
}
