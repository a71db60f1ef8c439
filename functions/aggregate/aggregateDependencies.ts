import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { type AggregationSettings, compileMetrics } from '../../core/aggregates/compileMetrics.js';
import { parseDuration } from '../../core/duration.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import type { AggregateDependencies } from './aggregateKinesisBatch.js';
import { DynamoAggregateStore } from './DynamoAggregateStore.js';
import { DynamoEventDeduper } from './DynamoEventDeduper.js';
import { DynamoGroupRegistry } from './DynamoGroupRegistry.js';
import { S3RejectsSink } from './RejectsSink.js';

/** Where the aggregate handler's dependencies read and write. */
export interface AggregateResources {
  dynamodb: DynamoDBClient;
  s3: S3Client;
  tableName: string;
  rejectsBucketName: string;
  rejectsPrefix: string;
  settings: AggregationSettings;
  /** The configuration's event catalog, which arriving events are validated against. */
  catalog: EventCatalog;
  logger: Logger;
}

/**
 * The aggregate handler's dependencies against DynamoDB and S3: the Lambda
 * handler builds them once per container, and `npm run redrive` builds the
 * same ones to apply given-up records with exactly the handler's rules.
 * `attempts` (the shard ledger) is left to the caller.
 */
export function aggregateDependencies(
  resources: AggregateResources,
): Omit<AggregateDependencies, 'attempts' | 'now'> {
  const { dynamodb, tableName, settings } = resources;
  const { dedupeWindow } = settings.events;
  const dedupeWindowMs = dedupeWindow === undefined ? undefined : parseDuration(dedupeWindow);
  return {
    store: new DynamoAggregateStore(dynamodb, tableName),
    // Cached for the container's life; the registry item keeps the cap across containers.
    groups: new DynamoGroupRegistry(dynamodb, tableName),
    rejects: new S3RejectsSink(resources.s3, resources.rejectsBucketName, resources.rejectsPrefix),
    metrics: compileMetrics(settings),
    catalog: resources.catalog,
    maxLatenessMs: parseDuration(settings.events.maxLateness) ?? 0,
    maxFutureSkewMs: parseDuration(settings.events.maxFutureSkew) ?? 0,
    ...(dedupeWindowMs === undefined
      ? {}
      : { deduper: new DynamoEventDeduper(dynamodb, tableName, dedupeWindowMs) }),
    logger: resources.logger,
  };
}
