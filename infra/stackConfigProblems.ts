import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { archivePartitioning } from './archivePartitioning.js';
import { archiveTableColumns } from './archiveTableColumns.js';
import { projectionOf } from './constructs/ArchiveAnalytics.js';
import { errorOutputRootProblem } from './constructs/RawArchive.js';

/**
 * What the stack cannot build from a configuration that is otherwise valid
 * (and runs locally): the archive table's partition projection, its one column
 * type per field, the archive's error folder apart from its data folder. Each
 * rule is the one the construct applies, run before the stack is built, so
 * `cdk synth` names the setting in one line instead of failing inside a
 * construct with a stack trace.
 *
 * @returns one `setting: problem` line per problem; empty when the stack can be built
 */
export function stackConfigProblems(config: StreamfoldConfig): string[] {
  const problems: string[] = [];
  const check = (setting: string, rule: () => string | undefined) => {
    try {
      const problem = rule();
      if (problem) problems.push(`${setting}: ${problem}`);
    } catch (error) {
      // The constructs throw plain errors naming the value; here they become problems.
      const message = error instanceof Error ? error.message : String(error);
      problems.push(`${setting}: ${message.replace(`${setting} `, '')}`);
    }
  };
  check('archive.prefix', () => {
    for (const key of archivePartitioning(config.archive.prefix).keys) projectionOf(key);
    return undefined;
  });
  // Without a data folder (refused above) there is nothing to keep the error folder apart from.
  if (problems.length === 0) {
    check('archive.errorOutputPrefix', () =>
      errorOutputRootProblem(config.archive.prefix, config.archive.errorOutputPrefix),
    );
  }
  check('catalog', () => {
    archiveTableColumns(config.catalog);
    return undefined;
  });
  return problems;
}
