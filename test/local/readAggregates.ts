export type { AggregateFigures as StoredAggregate } from '../../core/aggregates/GroundTruth.js';
export { scanAggregates as readAggregates } from '../../load/scanAggregates.js';
