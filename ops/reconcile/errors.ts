/** Base class of every error the reconcile command raises. */
export class ReconcileError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReconcileError';
  }
}

/** A command-line argument that cannot be used, naming the option and its value. */
export class ReconcileArgsError extends ReconcileError {
  public constructor(message: string) {
    super(message);
    this.name = 'ReconcileArgsError';
  }
}

/** An item whose stored figures kept changing under every repair attempt. */
export class RepairConflictError extends ReconcileError {
  public constructor(
    public readonly key: string,
    public readonly attempts: number,
  ) {
    super(
      `${key}: still changing after ${attempts} conditional repair attempts (live writes keep landing on it); run again later`,
    );
    this.name = 'RepairConflictError';
  }
}
