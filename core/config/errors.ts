/**
 * Thrown when the configuration is invalid. The message names each offending
 * setting by its dotted path and shows the value that was given.
 */
export class ConfigError extends Error {
  /** One line per problem, `path: message (given value)`. */
  public readonly problems: readonly string[];

  public constructor(problems: readonly string[], options?: ErrorOptions) {
    super(`Invalid streamfold configuration:\n  - ${problems.join('\n  - ')}`, options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
