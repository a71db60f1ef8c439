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

/**
 * The configuration file cannot be used at all (missing, a directory, not
 * importable): one problem, said without the "Invalid streamfold
 * configuration" heading, since no setting of it was judged. Still a
 * {@link ConfigError}, so every caller that handles one handles this.
 */
export class ConfigFileError extends ConfigError {
  public constructor(problem: string, options?: ErrorOptions) {
    super([problem], options);
    this.name = 'ConfigFileError';
    this.message = problem;
  }
}
