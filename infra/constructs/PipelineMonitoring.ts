import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { EVENTS_OVER_GROUP_CAP_METRIC, OTHER_GROUP } from '../../core/aggregates/GroupRegistry.js';
import { AGGREGATE_METRIC } from '../../functions/aggregate/aggregateMetricNames.js';
import { MONITORING_DEFAULTS } from '../defaults.js';

/** Props of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  /** The event stream. */
  stream: kinesis.IStream;
  /** The stream's retention; the iterator age alarm is a fraction of it. */
  streamRetentionPeriod: Duration;
  /** The aggregate function. */
  aggregateFunction: lambda.IFunction;
  /** UUID of the function's event source mapping (its on-failure metric's dimension). */
  eventSourceMappingId: string;
  /** The mapping's maximum record age; the function's iterator age alarm is a fraction of it. */
  maxRecordAge: Duration;
  /** The aggregates table. */
  table: dynamodb.ITable;
  /** The archive's delivery stream. */
  deliveryStream: firehose.IDeliveryStream;
  /**
   * The delivery stream converts records to Parquet: alarm on and chart the records
   * it could not convert (Firehose's `FailedConversion.Records`).
   *
   * @default false
   */
  formatConversion?: boolean;
  /** Firehose's buffering interval; the freshness alarm is a multiple of it. */
  bufferingInterval: Duration;
  /** CloudWatch namespace of the function's custom (EMF) metrics. */
  customMetricsNamespace: string;
  /** The `service` dimension the function's Powertools metrics carry. */
  serviceName: string;
  /**
   * Alarm when more than this fraction of the events the aggregate function
   * read in five minutes was rejected as bad input, 0-1.
   *
   * @default 0.01
   */
  rejectRateAlarmThreshold?: number;
  /** Prefix of alarm names and the dashboard name, unique per account and region. */
  namePrefix: string;
  /**
   * Address subscribed to the alarm topic; SNS sends it a confirmation first.
   *
   * @default - no subscription; subscribe to the topic by other means
   */
  alarmEmail?: string;
}

/**
 * Alarms to an SNS topic and a dashboard for the whole pipeline.
 *
 * - Stream iterator age (`GetRecords.IteratorAgeMilliseconds`, every consumer:
 *   the mapping and Firehose) at half the stream's retention.
 * - The mapping's iterator age (function `IteratorAge`) at half `maxRecordAge`.
 * - Function errors and throttles; DynamoDB throttles on the two operations the
 *   function uses.
 * - Records sent to the on-failure destination: the mapping's
 *   `OnFailureDestinationDeliveredEventCount` (an EventCount metric), and
 *   `DestinationDeliveryFailures` for records Lambda could not even write there.
 *   Both are Lambda's own counts; an S3 request metric on the prefix would also
 *   count objects written by a redrive or by hand.
 * - Firehose `DeliveryToS3.DataFreshness`; with `formatConversion`, its
 *   `FailedConversion.Records` (records written to the error prefix under
 *   `format-conversion-failed` instead of the archive table).
 * - Events folded into the other group because a metric's group cap is full
 *   (the function's `EventsOverGroupCap`): totals stay exact, but the groups
 *   of those events are lost for good, so the first one notifies.
 * - The fraction of events rejected as bad input, `EventsRejected /
 *   (EventsRejected + EventsFolded)` over 5 minutes, above
 *   `rejectRateAlarmThreshold`: a producer shipping a broken schema. No
 *   batches means no data, which is not breaching.
 */
export class PipelineMonitoring extends Construct {
  /** Every alarm publishes here, on alarm and on recovery. */
  public readonly alarmTopic: sns.Topic;
  /** The alarms, by what they watch. */
  public readonly alarms: {
    streamIteratorAge: cloudwatch.Alarm;
    functionIteratorAge: cloudwatch.Alarm;
    functionErrors: cloudwatch.Alarm;
    functionThrottles: cloudwatch.Alarm;
    tableThrottles: cloudwatch.Alarm;
    onFailureRecords: cloudwatch.Alarm;
    onFailureDeliveryFailures: cloudwatch.Alarm;
    archiveDataFreshness: cloudwatch.Alarm;
    eventsOverGroupCap: cloudwatch.Alarm;
    rejectRate: cloudwatch.Alarm;
    /** Only with `formatConversion`. */
    archiveFormatConversionFailures?: cloudwatch.Alarm;
  };
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const fn = props.aggregateFunction;
    const rejectRateThreshold = props.rejectRateAlarmThreshold ?? 0.01;
    if (!(rejectRateThreshold >= 0 && rejectRateThreshold <= 1)) {
      throw new Error(
        `rejectRateAlarmThreshold must be a fraction between 0 and 1 (given ${rejectRateThreshold})`,
      );
    }

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${props.namePrefix} alarms`,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    const streamIteratorAge = props.stream.metricGetRecordsIteratorAgeMilliseconds({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: MONITORING_DEFAULTS.lagPeriod,
    });
    const functionIteratorAge = fn.metric('IteratorAge', {
      statistic: cloudwatch.Stats.MAXIMUM,
      period: MONITORING_DEFAULTS.lagPeriod,
    });
    const onFailureRecords = new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'OnFailureDestinationDeliveredEventCount',
      dimensionsMap: { EventSourceMappingUUID: props.eventSourceMappingId },
      statistic: cloudwatch.Stats.SUM,
      period: MONITORING_DEFAULTS.period,
    });
    const onFailureDeliveryFailures = fn.metric('DestinationDeliveryFailures', {
      statistic: cloudwatch.Stats.SUM,
      period: MONITORING_DEFAULTS.period,
    });
    const tableThrottles = props.table.metricThrottledRequestsForOperations({
      operations: [dynamodb.Operation.UPDATE_ITEM, dynamodb.Operation.GET_ITEM],
      period: MONITORING_DEFAULTS.period,
    });
    const dataFreshness = props.deliveryStream.metric('DeliveryToS3.DataFreshness', {
      statistic: cloudwatch.Stats.MAXIMUM,
      period: MONITORING_DEFAULTS.lagPeriod,
    });
    // The total over all metrics (service dimension only): one alarm whatever metrics the
    // configuration declares; the copies with a `metric` dimension say which one is full.
    const eventsOverGroupCap = new cloudwatch.Metric({
      namespace: props.customMetricsNamespace,
      metricName: EVENTS_OVER_GROUP_CAP_METRIC,
      dimensionsMap: { service: props.serviceName },
      statistic: cloudwatch.Stats.SUM,
      period: MONITORING_DEFAULTS.period,
    });
    // Totals over all codes (service dimension only), as the function publishes them per batch.
    const eventsMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: props.customMetricsNamespace,
        metricName,
        dimensionsMap: { service: props.serviceName },
        statistic: cloudwatch.Stats.SUM,
        period: MONITORING_DEFAULTS.period,
      });
    const rejectRate = new cloudwatch.MathExpression({
      // Both are published with every batch; a window with no event at all is 0, not a division by 0.
      expression: 'IF(rejected + folded > 0, rejected / (rejected + folded), 0)',
      usingMetrics: {
        rejected: eventsMetric(AGGREGATE_METRIC.eventsRejected),
        folded: eventsMetric(AGGREGATE_METRIC.eventsFolded),
      },
      label: 'Fraction of events rejected',
      period: MONITORING_DEFAULTS.period,
    });
    const freshnessThreshold = Math.max(
      props.bufferingInterval.toSeconds() * MONITORING_DEFAULTS.dataFreshnessBufferingIntervals,
      MONITORING_DEFAULTS.minDataFreshnessThreshold.toSeconds(),
    );

    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
    ): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, name, {
        alarmName: `${props.namePrefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means no traffic or no failures: not an alarm.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      created.addOkAction(new actions.SnsAction(this.alarmTopic));
      return created;
    };

    const streamLagThreshold =
      props.streamRetentionPeriod.toMilliseconds() *
      MONITORING_DEFAULTS.iteratorAgeFractionOfRetention;
    const functionLagThreshold =
      props.maxRecordAge.toMilliseconds() * MONITORING_DEFAULTS.iteratorAgeFractionOfMaxRecordAge;
    this.alarms = {
      streamIteratorAge: alarm(
        'stream-iterator-age',
        streamIteratorAge,
        streamLagThreshold,
        `A stream consumer (aggregate function or Firehose) is ${MONITORING_DEFAULTS.iteratorAgeFractionOfRetention * 100}% of the stream retention (${props.streamRetentionPeriod.toHumanString()}) behind; records expire unread at 100%.`,
        MONITORING_DEFAULTS.lagEvaluationPeriods,
      ),
      functionIteratorAge: alarm(
        'function-iterator-age',
        functionIteratorAge,
        functionLagThreshold,
        `The aggregate function is ${MONITORING_DEFAULTS.iteratorAgeFractionOfMaxRecordAge * 100}% of maxRecordAge (${props.maxRecordAge.toHumanString()}) behind; older records go to the on-failure destination unaggregated.`,
        MONITORING_DEFAULTS.lagEvaluationPeriods,
      ),
      functionErrors: alarm(
        'function-errors',
        fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: MONITORING_DEFAULTS.period }),
        1,
        'The aggregate function failed whole invocations (crash or timeout); the batch is retried or bisected.',
      ),
      functionThrottles: alarm(
        'function-throttles',
        fn.metricThrottles({ statistic: cloudwatch.Stats.SUM, period: MONITORING_DEFAULTS.period }),
        1,
        'The aggregate function was throttled (account concurrency); shards fall behind.',
      ),
      tableThrottles: alarm(
        'table-throttles',
        tableThrottles,
        1,
        'DynamoDB throttled aggregate updates; the records are reported as failures and retried.',
      ),
      onFailureRecords: alarm(
        'on-failure-records',
        onFailureRecords,
        1,
        'Records exhausted their retries or maxRecordAge and were written to the on-failure destination (rejects bucket, aws/lambda/); they are not aggregated until redriven.',
      ),
      onFailureDeliveryFailures: alarm(
        'on-failure-delivery-failures',
        onFailureDeliveryFailures,
        1,
        'Lambda could not write discarded records to the on-failure destination: they are lost to the aggregates (the archive still has them).',
      ),
      archiveDataFreshness: alarm(
        'archive-data-freshness',
        dataFreshness,
        freshnessThreshold,
        `The oldest record not yet archived by Firehose is ${freshnessThreshold} s old (${MONITORING_DEFAULTS.dataFreshnessBufferingIntervals} buffering intervals).`,
        MONITORING_DEFAULTS.lagEvaluationPeriods,
      ),
      eventsOverGroupCap: alarm(
        'events-over-group-cap',
        eventsOverGroupCap,
        1,
        `A metric's group registry is full: events of new groups are counted in ${OTHER_GROUP} and their own groups are lost for good. The function's log names the metric and the metrics.N.maxGroups setting to raise (EventsOverGroupCap by metric dimension shows it too).`,
      ),
      rejectRate: new cloudwatch.Alarm(this, 'reject-rate', {
        alarmName: `${props.namePrefix}-reject-rate`,
        alarmDescription: `More than ${rejectRateThreshold * 100}% of the events the aggregate function read in ${MONITORING_DEFAULTS.period.toHumanString()} were rejected as bad input (observability.rejectRateAlarmThreshold): a producer is likely sending a broken schema. The rejects bucket holds them; EventsRejected by code says why.`,
        metric: rejectRate,
        threshold: rejectRateThreshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // No data means no batches: nothing was rejected.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };
    const failedConversions = props.deliveryStream.metric('FailedConversion.Records', {
      statistic: cloudwatch.Stats.SUM,
      period: MONITORING_DEFAULTS.period,
    });
    if (props.formatConversion) {
      this.alarms.archiveFormatConversionFailures = alarm(
        'archive-format-conversion-failures',
        failedConversions,
        1,
        'Firehose could not convert records to Parquet against the archive table (they do not fit its columns): they are under the error output prefix, format-conversion-failed, not in the table.',
      );
    }
    this.alarms.rejectRate.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.rejectRate.addOkAction(new actions.SnsAction(this.alarmTopic));

    const customMetrics = new cloudwatch.MathExpression({
      // Every metric the function emits, without naming them here.
      expression: `SEARCH('{${props.customMetricsNamespace},service} service="${props.serviceName}"', 'Sum', ${MONITORING_DEFAULTS.period.toSeconds()})`,
      label: '',
      period: MONITORING_DEFAULTS.period,
    });
    const mappingMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { EventSourceMappingUUID: props.eventSourceMappingId },
        statistic: cloudwatch.Stats.SUM,
        period: MONITORING_DEFAULTS.period,
      });
    const sum = { statistic: cloudwatch.Stats.SUM, period: MONITORING_DEFAULTS.period };

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.namePrefix,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: Object.values(this.alarms),
        width: 24,
        height: 4,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Stream: records in and throttled writes',
        left: [props.stream.metricIncomingRecords(sum)],
        right: [props.stream.metricWriteProvisionedThroughputExceeded(sum)],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Consumer lag (ms)',
        left: [streamIteratorAge, functionIteratorAge],
        leftAnnotations: [
          { value: streamLagThreshold, label: 'stream alarm' },
          { value: functionLagThreshold, label: 'function alarm' },
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Archive freshness (s)',
        left: [dataFreshness],
        leftAnnotations: [{ value: freshnessThreshold, label: 'alarm' }],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Aggregate function',
        left: [fn.metricInvocations(sum), fn.metricErrors(sum), fn.metricThrottles(sum)],
        right: [
          fn.metricDuration({
            statistic: cloudwatch.Stats.p(99),
            period: MONITORING_DEFAULTS.period,
          }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Event source mapping (records)',
        left: [
          mappingMetric('PolledEventCount'),
          mappingMetric('InvokedEventCount'),
          mappingMetric('FailedInvokeEventCount'),
          onFailureRecords,
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: `Handler metrics (${props.customMetricsNamespace})`,
        left: [customMetrics],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Fraction of events rejected',
        left: [rejectRate],
        leftAnnotations: [{ value: rejectRateThreshold, label: 'alarm' }],
        leftYAxis: { min: 0, max: 1 },
        width: 24,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Aggregates table',
        left: [
          props.table.metricConsumedWriteCapacityUnits(sum),
          props.table.metricConsumedReadCapacityUnits(sum),
        ],
        right: [tableThrottles],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Archive delivery (records)',
        left: [
          props.deliveryStream.metric('DataReadFromKinesisStream.Records', sum),
          props.deliveryStream.metric('DeliveryToS3.Records', sum),
          ...(props.formatConversion ? [failedConversions] : []),
        ],
        width: 12,
      }),
    );
  }
}
