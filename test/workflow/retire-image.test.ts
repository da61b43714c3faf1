// The retire-image state machine, the definition serverless.yml deploys, executed by
// aws-local-stepfunctions with its Task states bound to the real task handlers, which talk to the
// provider emulator over HTTP (real undici, real signatures). Each Task is invoked the way Lambda
// reports to Step Functions: the handler's thrown `error.name` becomes the state's error and the
// cause is the JSON error payload. Wait states and Retry pauses are shortened; everything else
// (Choice, Retry matching, Catch, Fail with ErrorPath/CausePath) runs as written.

import type { Context } from 'aws-lambda';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { handler as deleteHandler } from '../../functions/task/delete-image.js';
import { handler as showHandler } from '../../functions/task/show-image.js';
import { lambdaContext } from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';
import { type Json, resolveDefinition } from './definition.js';

type TaskHandler = (event: unknown, context: Context) => Promise<unknown>;

const HANDLERS: Record<string, TaskHandler> = {
  taskShowImage: showHandler as TaskHandler,
  taskDeleteImage: deleteHandler as TaskHandler,
};

const OPERATOR_PROTECTED = 'a5b0a1c2-0000-4000-8000-000000000077';

const fixture = useFixture({
  env: {
    PROTECTED_IMAGE_IDS: OPERATOR_PROTECTED,
    UPSTREAM_RETRY_BASE_MS: '5',
    UPSTREAM_THROTTLE_BASE_MS: '5',
  },
});
const { definition, taskFunctions } = resolveDefinition();
const machine = new StateMachine(definition as never, {
  validationOptions: { checkArn: true, checkPaths: true },
});

interface Execution {
  output?: Json;
  error?: { name: string; cause: string };
  /** Invocations per Task state, in order. */
  invocations: Array<{ state: string; input: unknown; error?: string }>;
}

/**
 * What Lambda reports instead of the handler's answer, for an invocation (by Task state and its
 * count there, from 1) that ran out of time: `before` it started work, or `after` it.
 */
/** Lambda's report of an invocation that outlived its timeout (the answer, if any, is lost). */
const sandboxTimedOut = (): Error =>
  Object.assign(new Error('Task timed out after 30.00 seconds'), { name: 'Sandbox.Timedout' });

type TimedOut = Record<string, { invocation: number; when: 'before' | 'after' }>;

/** One execution; the Task states run the real handlers as Lambda would. */
const execute = async (input: Json, timedOut: TimedOut = {}): Promise<Execution> => {
  const invocations: Execution['invocations'] = [];
  const taskResourceLocalHandlers = Object.fromEntries(
    Object.entries(taskFunctions).map(([state, fn]) => {
      const handler = HANDLERS[fn];
      if (handler === undefined) throw new Error(`no handler for ${fn}`);
      return [
        state,
        async (event: Json): Promise<Json> => {
          const call: Execution['invocations'][number] = { state, input: event };
          invocations.push(call);
          const timeout = timedOut[state];
          const lost =
            timeout !== undefined &&
            invocations.filter((earlier) => earlier.state === state).length === timeout.invocation;
          try {
            if (lost && timeout.when === 'before') throw sandboxTimedOut();
            // What crosses the Lambda boundary is JSON.
            const answer = JSON.parse(
              JSON.stringify(await handler(event, lambdaContext(30_000))),
            ) as Json;
            if (lost) throw sandboxTimedOut();
            return answer;
          } catch (thrown) {
            const error = thrown as Error;
            call.error = error.name;
            // Lambda: errorType = error.name, trace = the stack's lines; Step Functions' Cause =
            // the JSON error payload.
            const reported = new Error(
              JSON.stringify({
                errorType: error.name,
                errorMessage: error.message,
                trace: error.stack?.split('\n'),
              }),
            );
            reported.name = error.name;
            throw reported;
          }
        },
      ];
    }),
  );
  const noPause = Object.fromEntries(Object.keys(taskFunctions).map((state) => [state, 1]));
  const run = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers,
      waitTimeOverrides: { WaitForImage: 1, WaitForDeletion: 1 },
      retryIntervalOverrides: noPause,
    },
  });
  try {
    return { output: (await run.result) as Json, invocations };
  } catch (error) {
    if (!(error instanceof ExecutionError)) throw error;
    const cause = error.cause as Error;
    return { error: { name: cause.name, cause: cause.message }, invocations };
  }
};

const deletesReceived = () =>
  fixture.emulator.requests.filter((request) => request.method === 'DELETE');
const statesRun = (execution: Execution) => execution.invocations.map((call) => call.state);

const cases = [
  {
    provider: 'modelarts',
    custom: SEEDED.modelarts.custom,
    creating: SEEDED.modelarts.creating,
    system: SEEDED.modelarts.builtIn,
    missing: '00000000-0000-4000-8000-000000000000',
    authFault: { kind: 'status', status: 401 } as const,
  },
  {
    provider: 'bcc',
    custom: SEEDED.bcc.custom,
    creating: SEEDED.bcc.creating,
    system: SEEDED.bcc.system,
    missing: 'm-doesnotexist',
    authFault: {
      kind: 'status',
      status: 403,
      body: { requestId: 'r', code: 'AccessDenied', message: 'Access denied.' },
    } as const,
  },
] as const;

describe.each(cases)('retire-image on $provider', (c) => {
  it('deletes a custom image and confirms it is gone', async () => {
    const execution = await execute({ provider: c.provider, imageId: c.custom });

    expect(execution.error).toBeUndefined();
    expect(execution.output).toMatchObject({
      provider: c.provider,
      imageId: c.custom,
      outcome: 'deleted',
      image: { id: c.custom, provider: c.provider, kind: 'custom' },
    });
    expect(statesRun(execution)).toEqual(['Show', 'CheckDeletable', 'Delete', 'ConfirmGone']);
    expect(fixture.emulator.state.deleteCount(c.provider, c.custom)).toBe(1);
    expect(fixture.emulator.state[c.provider].has(c.custom)).toBe(false);
  });

  it('waits while the image is being created, then deletes it', async () => {
    // GETs 1-3 still show it being created, the 4th shows it ready.
    fixture.emulator.state.readyAfterGets(c.provider, c.creating, 3);

    const execution = await execute({ provider: c.provider, imageId: c.creating });

    expect(execution.error).toBeUndefined();
    expect(execution.output).toMatchObject({ outcome: 'deleted', imageId: c.creating });
    // Show (creating) → check says ImageBusy → wait → Show → check → delete → confirm.
    expect(statesRun(execution)).toEqual([
      'Show',
      'CheckDeletable',
      'Show',
      'CheckDeletable',
      'Delete',
      'ConfirmGone',
    ]);
    expect(execution.invocations[1]?.error).toBe('ImageBusy');
    expect(fixture.emulator.state.deleteCount(c.provider, c.creating)).toBe(1);
  });

  it('gives up with ImageBusy when the image is still being created after 20 waits (21 looks)', async () => {
    const execution = await execute({ provider: c.provider, imageId: c.creating });

    expect(execution.error?.name).toBe('ImageBusy');
    expect(JSON.parse(execution.error?.cause ?? '{}')).toMatchObject({
      errorType: 'ImageBusy',
      errorMessage: expect.stringMatching(/creat/i),
    });
    expect(statesRun(execution).filter((state) => state === 'Show')).toHaveLength(21);
    expect(deletesReceived()).toHaveLength(0);
    expect(fixture.emulator.state[c.provider].has(c.creating)).toBe(true);
  });

  it('gives up on an image in use with the ImageBusy that names what uses it, sending no DELETE', async () => {
    fixture.emulator.state.referenceImage(c.provider, c.custom, {
      id: 'user-1',
      name: 'still-training',
      status: 'Running',
    });

    const execution = await execute({ provider: c.provider, imageId: c.custom });

    expect(execution.error?.name).toBe('ImageBusy');
    expect(JSON.parse(execution.error?.cause ?? '{}')).toMatchObject({
      errorMessage: expect.stringContaining('still-training'),
    });
    expect(deletesReceived()).toHaveLength(0);
  });

  it('fails with UpstreamTimeout (a name of the error table) when the cloud accepts the delete but keeps the image', async () => {
    // The cloud answers every DELETE as done and deletes nothing.
    fixture.emulator.faults.inject({
      match: { provider: c.provider, method: 'DELETE' },
      times: 100,
      action: { kind: 'status', status: 200, body: c.provider === 'modelarts' ? {} : '' },
    });

    const execution = await execute({ provider: c.provider, imageId: c.custom });

    expect(execution.error).toEqual({
      name: 'UpstreamTimeout',
      cause:
        'the provider accepted the delete but still listed the image after 10 waits of 10 s (11 looks)',
    });
    // The look right after the delete, and 10 more after a wait each.
    expect(statesRun(execution).filter((state) => state === 'ConfirmGone')).toHaveLength(11);
    expect(fixture.emulator.state[c.provider].has(c.custom)).toBe(true);
  });

  it('refuses a system image with ImageProtected, sending no DELETE', async () => {
    const execution = await execute({ provider: c.provider, imageId: c.system });

    expect(execution.error?.name).toBe('ImageProtected');
    expect(JSON.parse(execution.error?.cause ?? '{}')).toMatchObject({
      errorType: 'ImageProtected',
    });
    expect(statesRun(execution)).toEqual(['Show', 'CheckDeletable']);
    expect(deletesReceived()).toHaveLength(0);
    expect(fixture.emulator.state[c.provider].has(c.system)).toBe(true);
  });

  it('rides out throttling: the Step Functions Retry retries, the task tries once per invocation', async () => {
    fixture.emulator.faults.inject({
      match: { provider: c.provider, method: 'GET' },
      times: 3,
      action: { kind: 'status', status: 429 },
    });

    const execution = await execute({ provider: c.provider, imageId: c.custom });

    expect(execution.error).toBeUndefined();
    expect(execution.output).toMatchObject({ outcome: 'deleted' });
    // Three throttled Show invocations, each one upstream attempt, then success.
    expect(execution.invocations.slice(0, 4).map((call) => [call.state, call.error])).toEqual([
      ['Show', 'UpstreamThrottled'],
      ['Show', 'UpstreamThrottled'],
      ['Show', 'UpstreamThrottled'],
      ['Show', undefined],
    ]);
    expect(fixture.emulator.requests.filter((request) => request.status === 429)).toHaveLength(3);
    expect(fixture.emulator.state.deleteCount(c.provider, c.custom)).toBe(1);
  });

  it('retries an invocation that timed out, before or after its delete was sent: one delete, the image gone', async () => {
    // Act: Show's first invocation never starts work; Delete's first deletes, then its answer is
    // lost to Lambda's timeout.
    const execution = await execute(
      { provider: c.provider, imageId: c.custom },
      { Show: { invocation: 1, when: 'before' }, Delete: { invocation: 1, when: 'after' } },
    );

    // Assess: the retry of the delete finds the image gone (already-absent), so the workflow
    // succeeds; without the retrier it failed with Sandbox.Timedout.
    expect(execution.error).toBeUndefined();
    expect(execution.invocations.map((call) => [call.state, call.error])).toEqual([
      ['Show', 'Sandbox.Timedout'],
      ['Show', undefined],
      ['CheckDeletable', undefined],
      ['Delete', 'Sandbox.Timedout'],
      ['Delete', undefined],
    ]);
    expect(execution.output).toMatchObject({ provider: c.provider, outcome: 'already-absent' });
    expect(fixture.emulator.state.deleteCount(c.provider, c.custom)).toBe(1);
    expect(fixture.emulator.state[c.provider].has(c.custom)).toBe(false);
  });

  it('fails with UpstreamThrottled once the retrier is exhausted', async () => {
    fixture.emulator.faults.inject({
      match: { provider: c.provider, method: 'GET' },
      times: 100,
      action: { kind: 'status', status: 429 },
    });

    const execution = await execute({ provider: c.provider, imageId: c.custom });

    expect(execution.error?.name).toBe('UpstreamThrottled');
    // The first try and MaxAttempts (5) retries.
    expect(statesRun(execution)).toEqual(Array(6).fill('Show'));
    expect(deletesReceived()).toHaveLength(0);
  });

  it('succeeds with already-absent when the image is already gone', async () => {
    const execution = await execute({ provider: c.provider, imageId: c.missing });

    expect(execution.output).toEqual({
      provider: c.provider,
      imageId: c.missing,
      outcome: 'already-absent',
    });
    expect(statesRun(execution)).toEqual(['Show']);
    expect(deletesReceived()).toHaveLength(0);
  });

  it('fails with the permanent error it met, name and cause kept (UpstreamAuthFailed)', async () => {
    fixture.emulator.faults.inject({
      match: { provider: c.provider },
      times: 10,
      action: c.authFault,
    });

    const execution = await execute({ provider: c.provider, imageId: c.custom });

    expect(execution.error?.name).toBe('UpstreamAuthFailed');
    const cause = JSON.parse(execution.error?.cause ?? '{}') as Record<string, unknown>;
    expect(cause.errorType).toBe('UpstreamAuthFailed');
    expect(cause.errorMessage).toBeTruthy();
    // No stack frame in the execution's Cause: the trace is the name and message.
    expect(cause.trace).toEqual([`UpstreamAuthFailed: ${String(cause.errorMessage)}`]);
    // Not retried by the state machine.
    expect(statesRun(execution)).toEqual(['Show']);
    expect(fixture.emulator.state[c.provider].has(c.custom)).toBe(true);
  });
});

describe('retire-image, ModelArts specifics and input checks', () => {
  it('refuses an operator-protected custom image (PROTECTED_IMAGE_IDS) through the dry-run check', async () => {
    fixture.emulator.state.modelarts.set({
      ...(fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom) ?? { id: '' }),
      id: OPERATOR_PROTECTED,
      name: 'kept-by-operator',
    });

    const execution = await execute({ provider: 'modelarts', imageId: OPERATOR_PROTECTED });

    expect(execution.error?.name).toBe('ImageProtected');
    expect(execution.error?.cause).toMatch(/PROTECTED_IMAGE_IDS/);
    expect(deletesReceived()).toHaveLength(0);
  });

  it('passes force and region through to the delete', async () => {
    const execution = await execute({
      provider: 'modelarts',
      imageId: SEEDED.modelarts.custom,
      region: DEMO_MODELARTS.region,
      force: true,
    });

    expect(execution.output).toMatchObject({ outcome: 'deleted' });
    const [deleteCall] = execution.invocations.filter((call) => call.state === 'Delete');
    expect(deleteCall?.input).toEqual({
      provider: 'modelarts',
      imageId: SEEDED.modelarts.custom,
      region: DEMO_MODELARTS.region,
      force: true,
    });
    const [received] = deletesReceived();
    expect(received?.query).toContainEqual(['force', 'true']);
  });

  it('reports an image the provider lists as deleted as already-absent, with the image', async () => {
    const record = fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom);
    if (record === undefined) throw new Error('seed missing');
    fixture.emulator.state.modelarts.set({ ...record, status: 'DELETED' });

    const execution = await execute({ provider: 'modelarts', imageId: SEEDED.modelarts.custom });

    expect(execution.output).toMatchObject({
      outcome: 'already-absent',
      image: { id: SEEDED.modelarts.custom, status: 'deleted' },
    });
    expect(deletesReceived()).toHaveLength(0);
  });

  const invalidInputs: Array<{ why: string; input: Json }> = [
    { why: 'missing imageId', input: { provider: 'modelarts' } },
    { why: 'missing provider', input: { imageId: SEEDED.modelarts.custom } },
    {
      why: 'dryRun',
      input: { provider: 'modelarts', imageId: SEEDED.modelarts.custom, dryRun: true },
    },
    { why: 'bad imageId', input: { provider: 'modelarts', imageId: 'not-a-uuid' } },
    {
      why: 'unknown key',
      input: { provider: 'modelarts', imageId: SEEDED.modelarts.custom, dryrun: true },
    },
    { why: 'force on bcc', input: { provider: 'bcc', imageId: SEEDED.bcc.custom, force: true } },
  ];
  it.each(invalidInputs)(
    'fails with InvalidRequest and deletes nothing ($why)',
    async ({ input }) => {
      const execution = await execute(input);

      expect(execution.error?.name).toBe('InvalidRequest');
      expect(deletesReceived()).toHaveLength(0);
      expect(fixture.emulator.state.modelarts.has(SEEDED.modelarts.custom)).toBe(true);
      expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(true);
    },
  );
});
