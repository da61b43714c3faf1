// An EventBridge bus on moto whose every event from the service goes to a queue (a rule and its
// target), and the events read back off that queue: what reached the bus, as a subscriber sees it.

import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { EVENT_SOURCE } from '../../lib/events/catalogue.js';
import { motoClientConfig } from './moto.js';

export interface BusCapture {
  /** Events taken off the queue until `expected` have come (or about 10 s have passed). */
  received(expected: number): Promise<Record<string, unknown>[]>;
  close(): void;
}

/** Makes the bus `busName` on the moto at `endpoint`, and the queue its events go to. */
export const captureBus = async (endpoint: string, busName: string): Promise<BusCapture> => {
  const eventBridge = new EventBridgeClient(motoClientConfig(endpoint));
  const sqs = new SQSClient(motoClientConfig(endpoint));
  const queueUrl =
    (await sqs.send(new CreateQueueCommand({ QueueName: `${busName}-events` }))).QueueUrl ?? '';
  const queueArn = (
    await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    )
  ).Attributes?.QueueArn;
  await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
  await eventBridge.send(
    new PutRuleCommand({
      Name: `${busName}-all`,
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({
      Rule: `${busName}-all`,
      EventBusName: busName,
      Targets: [{ Id: 'queue', Arn: queueArn }],
    }),
  );
  eventBridge.destroy();

  return {
    received: async (expected) => {
      const events: Record<string, unknown>[] = [];
      for (let round = 0; round < 200 && events.length < expected; round += 1) {
        const output = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
          }),
        );
        const messages = output.Messages ?? [];
        for (const message of messages) events.push(JSON.parse(message.Body ?? '{}'));
        if (messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return events;
    },
    close: () => sqs.destroy(),
  };
};
