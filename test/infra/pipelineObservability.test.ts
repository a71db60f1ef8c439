import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGGREGATE_SERVICE_NAME,
  METRICS_NAMESPACE,
} from '../../core/config/aggregateFunctionEnvironment.js';
import { DEFAULT_DECLARED_CONFIG, loadConfig } from '../../core/config/loadConfig.js';
import { AGGREGATE_METRIC } from '../../functions/aggregate/aggregateMetricNames.js';
import { TRACE_ENABLED_VARIABLE } from '../../functions/observability/loadTracer.js';
import { MONITORING_DEFAULTS } from '../../infra/defaults.js';
import { resourceNames, type StreamfoldStack } from '../../infra/StreamfoldStack.js';
import { type SynthesizedApp, synthStreamfoldApp } from './synthStreamfoldApp.js';

function logicalIdOf(stack: StreamfoldStack, construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.resolve(element.logicalId) as string;
}

/** The three functions of the stack, by name. */
const functionsOf = (stack: StreamfoldStack) =>
  [
    ['aggregate', stack.aggregateFunction.handler, stack.aggregateFunction.role],
    ['ingest', stack.ingestFunction.handler, stack.ingestFunction.role],
    ['query', stack.queryFunction.handler, stack.queryFunction.role],
  ] as const;

interface FunctionResource {
  Properties: { TracingConfig?: unknown; Environment: { Variables: Record<string, unknown> } };
}

/** The X-Ray statement CDK adds to a role with active tracing. */
const XRAY_STATEMENT = {
  Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
  Effect: 'Allow',
  Resource: '*',
};

/** The reject-rate expression the alarm evaluates, over the aggregate function's own metrics. */
const REJECT_RATE_EXPRESSION = 'IF(rejected + folded > 0, rejected / (rejected + folded), 0)';

function rejectRateAlarm(threshold: number) {
  const metric = (id: string, metricName: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Dimensions: [{ Name: 'service', Value: AGGREGATE_SERVICE_NAME }],
        MetricName: metricName,
        Namespace: METRICS_NAMESPACE,
      },
      Period: MONITORING_DEFAULTS.period.toSeconds(),
      Stat: 'Sum',
    },
    ReturnData: false,
  });
  return {
    AlarmName: `${resourceNames(loadConfig(), 'dev').monitoring}-reject-rate`,
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 1,
    Threshold: threshold,
    // "NOT_BREACHING | Missing data points are treated as being within the threshold."
    // (CDK TreatMissingData reference): no batches in five minutes means nothing was rejected.
    TreatMissingData: 'notBreaching',
    Metrics: [
      { Expression: REJECT_RATE_EXPRESSION, Id: 'expr_1', Label: 'Fraction of events rejected' },
      metric('rejected', AGGREGATE_METRIC.eventsRejected),
      metric('folded', AGGREGATE_METRIC.eventsFolded),
    ],
  };
}

describe('observability with the default configuration (tracing off)', () => {
  let synthesized: SynthesizedApp;

  beforeAll(() => {
    synthesized = synthStreamfoldApp({ context: { stage: 'dev' } });
    // Synthesis takes a minute or more on a busy machine.
  }, 300_000);

  afterAll(() => synthesized.cleanUp());

  it('alarms when more than 1 % of the events are rejected over 5 minutes', () => {
    const { template, stack } = synthesized;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...rejectRateAlarm(0.01),
      AlarmActions: [{ Ref: logicalIdOf(stack, stack.monitoring.alarmTopic) }],
      OKActions: [{ Ref: logicalIdOf(stack, stack.monitoring.alarmTopic) }],
    });
  });

  it('shows the reject-rate alarm and its graph on the dashboard', () => {
    const { template, stack } = synthesized;
    const dashboard = template.toJSON().Resources[
      logicalIdOf(stack, stack.monitoring.dashboard)
    ] as { Properties: { DashboardBody: unknown } };
    const body = JSON.stringify(stack.resolve(dashboard.Properties.DashboardBody));

    // The body is a Fn::Join of text and references: the alarm status widget refers to the alarm.
    expect(body).toContain(logicalIdOf(stack, stack.monitoring.alarms.rejectRate));
    expect(body).toContain(REJECT_RATE_EXPRESSION);
    expect(body).toContain('Fraction of events rejected');
  });

  it.each(['aggregate', 'ingest', 'query'] as const)(
    'gives the %s function no tracing config, no trace switch and no X-Ray permission',
    (name) => {
      const { template, stack } = synthesized;
      const [, fn, role] = functionsOf(stack).find(([n]) => n === name) ?? [];
      const resource = template.toJSON().Resources[
        logicalIdOf(stack, fn as IConstruct)
      ] as FunctionResource;

      expect(resource.Properties.TracingConfig).toBeUndefined();
      expect(resource.Properties.Environment.Variables).not.toHaveProperty(TRACE_ENABLED_VARIABLE);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalIdOf(stack, role as IConstruct) }],
        PolicyDocument: { Statement: Match.not(Match.arrayWith([XRAY_STATEMENT])) },
      });
    },
  );

  it('grants X-Ray to no role of the stack', () => {
    expect(JSON.stringify(synthesized.template.toJSON())).not.toContain('xray:');
  });
});

describe('observability with tracing on and a 5 % reject-rate threshold', () => {
  let synthesized: SynthesizedApp;

  beforeAll(() => {
    const declared = DEFAULT_DECLARED_CONFIG.declared as Record<string, unknown>;
    synthesized = synthStreamfoldApp({
      context: { stage: 'dev' },
      declared: {
        ...DEFAULT_DECLARED_CONFIG,
        declared: {
          ...declared,
          observability: { tracing: true, rejectRateAlarmThreshold: 0.05 },
        },
      },
    });
  }, 300_000);

  afterAll(() => synthesized.cleanUp());

  it('alarms at the configured threshold', () => {
    synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', rejectRateAlarm(0.05));
  });

  it.each(['aggregate', 'ingest', 'query'] as const)(
    'traces the %s function actively, turns its tracer on and grants it X-Ray',
    (name) => {
      const { template, stack } = synthesized;
      const [, fn, role] = functionsOf(stack).find(([n]) => n === name) ?? [];
      const resource = template.toJSON().Resources[
        logicalIdOf(stack, fn as IConstruct)
      ] as FunctionResource;

      expect(resource.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(resource.Properties.Environment.Variables[TRACE_ENABLED_VARIABLE]).toBe('true');
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: logicalIdOf(stack, role as IConstruct) }],
        PolicyDocument: { Statement: Match.arrayWith([XRAY_STATEMENT]) },
      });
    },
  );

  it('leaves cdk-nag with no unacknowledged finding', () => {
    const report = JSON.parse(
      readFileSync(join(synthesized.assembly.directory, 'validation-report.json'), 'utf8'),
    ) as { pluginReports: { pluginName: string; violations: unknown[] }[] };
    const nag = report.pluginReports.find((plugin) => plugin.pluginName === 'AwsSolutions');
    expect(nag?.violations ?? []).toEqual([]);
  });
});
