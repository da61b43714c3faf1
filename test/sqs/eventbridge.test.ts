// EventBridge → SQS → the delete consumer. The wiring is read from serverless.yml as osls resolves
// it (what gets deployed): "Image Delete Requested" events on the service's own bus go to the
// delete queue with InputPath $.detail (so the message body is the task input), with a DLQ on the
// target and a queue policy that lets only this rule send. Then an event is delivered the way
// EventBridge would (pattern match, InputPath) into the real consumer against the emulator.
// (moto's EventBridge does not implement a target's InputPath, only InputTransformer, so the
// delivery step is done here, from the deployed rule's own pattern and InputPath.)

import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { handler } from '../../functions/sqs/delete-image.js';
import { readServiceDefinition } from '../../scripts/build.js';
import { lambdaContext } from '../../scripts/lambda-events.js';
import { ruleMatches } from '../../scripts/local-stack.js';
import { sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Resource = { Type: string; Properties: Record<string, Json> };

interface Service {
  functions: Record<
    string,
    { timeout?: number; events?: Array<{ sqs?: Record<string, Json> }> } | undefined
  >;
  resources: { Resources: Record<string, Resource> };
}

const fixture = useFixture();
let service: Service;

beforeAll(async () => {
  service = (await readServiceDefinition()) as unknown as Service;
}, 60_000);

const resource = (name: string): Resource => {
  const found = service.resources.Resources[name];
  if (found === undefined) throw new Error(`no resource ${name}`);
  return found;
};
const getAtt = (name: string, attribute: string) => ({ 'Fn::GetAtt': [name, attribute] });

const rule = () => {
  const found = Object.entries(service.resources.Resources).filter(
    ([, candidate]) =>
      candidate.Type === 'AWS::Events::Rule' &&
      JSON.stringify(candidate.Properties.EventPattern).includes('Image Delete Requested'),
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
};

/** The stack rule's own matching (the one `npm run invoke` uses for sample events). */
const matches = (pattern: Record<string, Json>, event: Record<string, Json>): boolean =>
  ruleMatches(
    {
      logicalId: 'rule',
      pattern: Object.fromEntries(
        Object.entries(pattern).map(([key, values]) => [key, [values].flat() as Json[]]),
      ),
      inputPath: '$',
    },
    event,
  );

/** A target's InputPath: `$` or `$.a.b`. */
const inputPath = (path: string, event: Json): Json => {
  if (path === '$') return event;
  return path
    .replace(/^\$\./, '')
    .split('.')
    .reduce<Json>((value, key) => (value as Record<string, Json>)[key] ?? null, event);
};

describe('EventBridge "Image Delete Requested" to the delete queue (serverless.yml)', () => {
  it('routes events on the service bus, detail only, with a DLQ on the target', () => {
    const [, { Properties: props }] = rule();

    expect(props.EventBusName).toEqual(getAtt('ImageEventBus', 'Name'));
    expect(resource('ImageEventBus').Type).toBe('AWS::Events::EventBus');
    expect(props.EventPattern).toEqual({
      source: [{ 'anything-but': 'cloud-image-functions' }],
      'detail-type': ['Image Delete Requested'],
    });
    const targets = props.Targets as Array<Record<string, Json>>;
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      Arn: getAtt('ImageDeleteQueue', 'Arn'),
      InputPath: '$.detail',
      DeadLetterConfig: { Arn: getAtt('ImageEventsDeadLetterQueue', 'Arn') },
    });
    expect(resource('ImageEventsDeadLetterQueue').Type).toBe('AWS::SQS::Queue');
  });

  it('lets only this rule send to the queue and to the events DLQ', () => {
    const [ruleName] = rule();
    const policies = Object.values(service.resources.Resources).filter(
      (candidate) => candidate.Type === 'AWS::SQS::QueuePolicy',
    );
    const statements = policies.flatMap(
      (policy) =>
        (policy.Properties.PolicyDocument as { Statement: Array<Record<string, Json>> }).Statement,
    );
    const sends = statements.filter((statement) => statement.Action === 'sqs:SendMessage');
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Condition: { ArnEquals: { 'aws:SourceArn': getAtt(ruleName, 'Arn') } },
    });
    expect(sends[0]?.Resource).toEqual(
      expect.arrayContaining([
        getAtt('ImageDeleteQueue', 'Arn'),
        getAtt('ImageEventsDeadLetterQueue', 'Arn'),
      ]),
    );
  });

  it('gives the queue a DLQ after at least 5 receives and a visibility timeout >= 6x the consumer timeout', () => {
    const queue = resource('ImageDeleteQueue').Properties;
    const consumer = service.functions.sqsDeleteImage;

    expect(queue.RedrivePolicy).toMatchObject({
      deadLetterTargetArn: getAtt('ImageDeleteDeadLetterQueue', 'Arn'),
    });
    expect(
      Number((queue.RedrivePolicy as Record<string, Json>).maxReceiveCount),
    ).toBeGreaterThanOrEqual(5);
    expect(Number(queue.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * (consumer?.timeout ?? 0));
    expect(consumer?.events?.[0]?.sqs).toMatchObject({
      arn: getAtt('ImageDeleteQueue', 'Arn'),
      batchSize: 20,
      functionResponseType: 'ReportBatchItemFailures',
    });
    // Lambda refuses a batch size over 10 without a batching window of at least one second.
    const sqs = consumer?.events?.[0]?.sqs as {
      batchSize?: number;
      maximumBatchingWindow?: number;
    };
    if ((sqs.batchSize ?? 10) > 10) expect(sqs.maximumBatchingWindow).toBeGreaterThanOrEqual(1);
    expect(consumer?.events?.[0]?.sqs?.maximumConcurrency).toBeGreaterThanOrEqual(2);
  });

  it('delivers a matching event as a delete request the consumer carries out', async () => {
    fixture.emulator.reset();
    const [, { Properties: props }] = rule();
    const pattern = props.EventPattern as Record<string, Json>;
    const target = (props.Targets as Array<Record<string, Json>>)[0] as Record<string, Json>;
    const event: Record<string, Json> = {
      version: '0',
      id: 'c1a2b3c4-0000-4000-8000-000000000001',
      'detail-type': 'Image Delete Requested',
      source: 'platform.images',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'eu-central-1',
      resources: [],
      detail: { provider: 'modelarts', imageId: SEEDED.modelarts.custom },
    };
    const other = { ...event, 'detail-type': 'Image Created' };
    const fromTheService = { ...event, source: 'cloud-image-functions' };

    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, other)).toBe(false);
    expect(matches(pattern, fromTheService), 'the service cannot request its own deletes').toBe(
      false,
    );
    const body = JSON.stringify(inputPath(String(target.InputPath), event));
    const response = await (handler as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>)(
      { Records: [sqsRecord('from-eventbridge', body)] },
      lambdaContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(1);
  });

  it('reports an event whose detail is not a delete request as failed (it ends in the DLQ)', async () => {
    const [, { Properties: props }] = rule();
    const target = (props.Targets as Array<Record<string, Json>>)[0] as Record<string, Json>;
    const event = {
      'detail-type': 'Image Delete Requested',
      detail: { provider: 'modelarts', image: SEEDED.modelarts.custom },
    };
    const body = JSON.stringify(inputPath(String(target.InputPath), event));

    const response = await (handler as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>)(
      { Records: [sqsRecord('bad-detail', body)] },
      lambdaContext(),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad-detail' }]);
  });
});
