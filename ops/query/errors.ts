/** A command-line argument of the query command that cannot be used, naming the option and its value. */
export class QueryArgsError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'QueryArgsError';
  }
}
