/** A CDK context value (`-c key=value`) that is not one the app accepts; the message names key and value. */
export class DeployContextError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'DeployContextError';
  }
}
