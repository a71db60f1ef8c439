import { AGGREGATE_ATTRIBUTES as A } from '../aggregate/DynamoAggregateStore.js';

/**
 * The aggregates table's global secondary index by metric: partition key
 * `metric`, sort key `sk` (`<window>#<bucket start>`), keys only. Every
 * aggregate item carries `metric`; registry, dedupe and ledger items do not,
 * so they stay out of it. A Query on `metric = M AND sk BETWEEN
 * <window>#<first> AND <window>#<last>` lists the keys of exactly the items of
 * one metric, window and range, which is what `GET /api/groups`, `/api/top`
 * and the total of a series need instead of scanning the whole table.
 *
 * Keys only, because the aggregate function updates `cnt`, `sum`, `min`,
 * `max` and the histograms on every batch: projecting them would write the
 * index on every update as well. Its keys are set when an item is created
 * and keep their values afterwards, so the entry is made once per item. The
 * figures are then read from the table by key.
 *
 * All new items of one metric and bucket share one index key, so a bucket
 * start writes as many entries to one index partition as the metric has
 * groups in that bucket; DynamoDB writes at most 1,000 units per second to a
 * partition, so beyond about 1,000 groups the index can slow the aggregate
 * writes at bucket starts (not measured on AWS).
 *
 * The stack (`AggregatesTable`) and the local emulator's tables
 * (`createAggregatesTable`) declare it from these names.
 */
export const AGGREGATES_BY_METRIC_INDEX = {
  indexName: 'byMetric',
  partitionKey: A.metric,
  sortKey: A.sortKey,
} as const;
