import {
  ARCHIVE_ARGS_SPEC,
  ARCHIVE_HELP,
  parseArchiveArgs,
} from '../../ops/archive/parseArchiveArgs.js';
import { commandConfig } from '../commandConfig.js';
import type { Subcommand } from '../Subcommand.js';

/** `streamfold archive`: SQL over the raw-event archive with DuckDB. */
export const archiveCommand: Subcommand = {
  name: 'archive',
  help: ARCHIVE_HELP,
  spec: ARCHIVE_ARGS_SPEC,
  run: async (argv, context) => {
    const args = parseArchiveArgs(argv, context.now());
    const config = await commandConfig(argv, ARCHIVE_ARGS_SPEC, context);
    // Imported here: DuckDB and the S3 client are not needed for --help or a typo.
    const { runArchiveCommand } = await import('../../ops/archive/runArchiveCommand.js');
    return runArchiveCommand(args, { config, out: context.out, err: context.err });
  },
};
