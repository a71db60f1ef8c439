import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readDeployContext } from '../../infra/readDeployContext.js';

function contextOf(context: Record<string, unknown>) {
  return readDeployContext(new App({ context }).node);
}

describe('readDeployContext', () => {
  it('defaults to the dev stage and the configured capacity mode when given nothing', () => {
    expect(contextOf({})).toEqual({
      stage: 'dev',
      capacityMode: undefined,
      alarmEmail: undefined,
    });
  });

  it('reads stage, capacity mode and alarm e-mail when given all three', () => {
    expect(
      contextOf({ stage: 'prod', capacityMode: 'on-demand', alarmEmail: 'ops@example.com' }),
    ).toEqual({ stage: 'prod', capacityMode: 'on-demand', alarmEmail: 'ops@example.com' });
  });

  it.each([
    [{ stage: 'staging' }, 'context stage must be one of dev, prod (given "staging")'],
    [
      { capacityMode: 'ondemand' },
      'context capacityMode must be one of provisioned, on-demand (given "ondemand")',
    ],
    [{ alarmEmail: 'ops' }, 'context alarmEmail must be an e-mail address (given "ops")'],
    [{ stage: 3 }, 'context stage must be a string (given 3)'],
  ])('throws naming the key and value when given %o', (context, message) => {
    expect(() => contextOf(context)).toThrow(message);
  });
});
