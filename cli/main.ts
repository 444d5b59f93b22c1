// Entry point of the `stratus` command (bin/stratus loads this through tsx).
import { type CliIo } from './output.js';
import { runCli } from './run.js';

const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
const code = await runCli(process.argv.slice(2), io);
process.exitCode = code;
// Long-running commands may leave native handles behind after a clean shutdown; do not hang.
setTimeout(() => process.exit(code), 3000).unref();
