/**
 * The `streamfold` command (bin/streamfold.js runs it): `streamfold <command> [options]`.
 */
import { runCli } from './runCli.js';

const code = await runCli(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  now: () => Date.now(),
});
// Exits once the output is out: a command's clients and timers must not keep the process alive.
if (process.stdout.writableNeedDrain) process.stdout.once('drain', () => process.exit(code));
else process.exit(code);
