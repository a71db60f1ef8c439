/** Base class of the errors the `streamfold` command layer raises. */
export class CliError extends Error {
  /** Process exit code the error ends the command with. */
  public readonly exitCode: number;

  public constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * A command line that cannot be run as given: an unknown subcommand, option or
 * metric, a missing or malformed value. Exit code 2; the message names the
 * argument and the value, and may end with a "did you mean" suggestion.
 */
export class UsageError extends CliError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, 2, options);
    this.name = 'UsageError';
  }
}

/** Which local service a port belongs to, and how a user moves it. */
export interface PortOwner {
  /** What listens there, e.g. `Kinesis emulator`. */
  service: string;
  /** The flag that changes the port, e.g. `--kinesis-port`. */
  flag: string;
  /** The environment variable that changes the port, e.g. `STREAMFOLD_KINESIS_PORT`. */
  envVar: string;
}

/** A port the local stack needs is taken by another process. Exit code 1. */
export class PortInUseError extends CliError {
  public readonly host: string;
  public readonly port: number;
  public readonly owner: PortOwner;

  public constructor(host: string, port: number, owner: PortOwner, options?: { cause?: unknown }) {
    super(
      `port ${port} (${owner.service}) on ${host} is in use; choose another with ${owner.flag} or ${owner.envVar}`,
      1,
      options,
    );
    this.name = 'PortInUseError';
    this.host = host;
    this.port = port;
    this.owner = owner;
  }
}
