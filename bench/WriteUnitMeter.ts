import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts a DynamoDB client's writes and the write units they consume.
 *
 * Every `UpdateItem`/`PutItem` is sent with `ReturnConsumedCapacity: 'TOTAL'`,
 * and the units the service reports are added up. DynamoDB's rule (Developer
 * Guide, "DynamoDB read and write operations", capacity unit consumption for
 * write operations,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html):
 * a write consumes one write unit per started 1 KB of the item; for
 * `UpdateItem` the larger of the item's size before and after the update.
 * dynalite computes the same (`max(⌈before/1024⌉, ⌈after/1024⌉)`). A write
 * whose condition fails is not answered with its capacity; it is counted
 * here as one unit, the least DynamoDB charges for it.
 */
export class WriteUnitMeter {
  public writes = 0;
  public writeUnits = 0;
  public conditionFailures = 0;
  public reads = 0;

  /** Installs the meter on `client`; every later request through it is counted. */
  public attach(client: DynamoDBClient): this {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? '';
        const isWrite = command === 'UpdateItemCommand' || command === 'PutItemCommand';
        if (command === 'GetItemCommand' || command === 'QueryCommand') this.reads++;
        if (!isWrite) return next(args);
        this.writes++;
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
        try {
          const result = await next(args);
          const output = result.output as { ConsumedCapacity?: { CapacityUnits?: number } };
          const units = output.ConsumedCapacity?.CapacityUnits;
          if (units === undefined) {
            throw new Error(`${command} returned no ConsumedCapacity although it was asked for`);
          }
          this.writeUnits += units;
          return result;
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') {
            this.conditionFailures++;
            this.writeUnits += 1;
          }
          throw error;
        }
      },
      { step: 'initialize', name: 'streamfoldWriteUnitMeter' },
    );
    return this;
  }
}
