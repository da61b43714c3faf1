// The direct-invocation / Step Functions task handlers, in-process, against the provider emulator
// over real HTTP: the output is the HTTP body's JSON, failures are thrown with the spec's names,
// one upstream attempt per invocation, one log line per invocation, and nothing but our own
// errors reaches the caller.

import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { handler as deleteHandler } from '../../functions/task/delete-image.js';
import { handler as showHandler } from '../../functions/task/show-image.js';
import { UpstreamThrottled } from '../../lib/errors/errors.js';
import { pipeline } from '../../lib/triggers/pipeline.js';
import { InternalError, TASK_TRIGGER, toTaskError } from '../../lib/triggers/task.js';
import { lambdaContext } from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';
import { rejectionOf } from '../support/outcomes.js';

const fixture = useFixture({
  env: { UPSTREAM_RETRY_BASE_MS: '5', UPSTREAM_THROTTLE_BASE_MS: '5' },
});

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const show = (event: unknown, context = lambdaContext()) =>
  (showHandler as Handler)(event, context);
const remove = (event: unknown, context = lambdaContext()) =>
  (deleteHandler as Handler)(event, context);

/** What the handler threw (fails the test when it resolves). */
const thrown = (promise: Promise<unknown>) => rejectionOf(promise);

const deletesReceived = () =>
  fixture.emulator.requests.filter((request) => request.method === 'DELETE');

describe('task show', () => {
  it('returns {"image": Image}, the HTTP body', async () => {
    const result = await show({ provider: 'modelarts', imageId: SEEDED.modelarts.builtIn });

    expect(result).toMatchObject({
      image: { provider: 'modelarts', id: SEEDED.modelarts.builtIn, kind: 'system' },
    });
    expect(Object.keys(result as object)).toEqual(['image']);
  });

  it('shows a BCC image in the region asked for', async () => {
    const result = await show({ provider: 'bcc', imageId: SEEDED.bcc.custom, region: 'bj' });

    expect(result).toMatchObject({ image: { provider: 'bcc', region: 'bj', kind: 'custom' } });
  });

  it("takes the contract's one task input: force and dryRun are checked and change nothing", async () => {
    const input = { provider: 'bcc', imageId: SEEDED.bcc.custom };

    const shown = await show({ ...input, force: false, dryRun: true });
    const notAFlag = await thrown(show({ ...input, dryRun: 'yes' }));

    expect(shown).toEqual(await show(input));
    expect(notAFlag).toMatchObject({ name: 'InvalidRequest' });
    expect(notAFlag.message).toBe('dryRun: must be true or false');
    expect(deletesReceived()).toEqual([]);
  });

  it('writes exactly one log line per invocation', async () => {
    await show({ provider: 'modelarts', imageId: SEEDED.modelarts.custom });

    expect(fixture.log.only()).toMatchObject({
      level: 'info',
      message: 'task completed',
      trigger: 'task',
      operation: 'show',
      provider: 'modelarts',
      imageId: SEEDED.modelarts.custom,
      outcome: 'shown',
      upstreamCalls: 1,
      upstreamRetries: 0,
      upstreamStatus: 200,
    });
    expect(typeof fixture.log.lines[0]?.requestId).toBe('string');
  });

  it('throws ImageNotFound for an image the provider does not have', async () => {
    const error = await thrown(
      show({ provider: 'modelarts', imageId: '00000000-0000-4000-8000-000000000000' }),
    );

    expect(error.name).toBe('ImageNotFound');
    expect(fixture.log.only()).toMatchObject({
      level: 'warn',
      outcome: 'failed',
      error: 'ImageNotFound',
    });
  });

  it.each([
    [
      'a flag that is not a boolean',
      { provider: 'modelarts', imageId: SEEDED.modelarts.custom, force: 'true' },
    ],
    [
      'an unknown field',
      { provider: 'modelarts', imageId: SEEDED.modelarts.custom, colour: 'red' },
    ],
    ['a bad id', { provider: 'modelarts', imageId: 'nope' }],
    ['an unknown provider', { provider: 'aws', imageId: 'ami-1' }],
    ['no object at all', 'modelarts'],
    ['null', null],
  ])('throws InvalidRequest for %s, before calling upstream', async (_, event) => {
    const error = await thrown(show(event));

    expect(error.name).toBe('InvalidRequest');
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('tries upstream once: the state machine retries', async () => {
    fixture.emulator.faults.inject({
      match: { method: 'GET' },
      action: { kind: 'status', status: 503 },
    });

    const error = await thrown(show({ provider: 'modelarts', imageId: SEEDED.modelarts.custom }));

    expect(error.name).toBe('UpstreamUnavailable');
    expect(fixture.emulator.requests).toHaveLength(1);
    expect(fixture.log.lines[0]).toMatchObject({
      level: 'error',
      error: 'UpstreamUnavailable',
      upstreamCalls: 1,
      upstreamRetries: 0,
    });
  });

  it('throws UpstreamThrottled on a 429, after one attempt', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'status', status: 429 } });

    const error = await thrown(show({ provider: 'bcc', imageId: SEEDED.bcc.custom }));

    expect(error.name).toBe('UpstreamThrottled');
    expect(fixture.emulator.requests).toHaveLength(1);
  });

  it('throws UpstreamAuthFailed when the provider rejects the credentials', async () => {
    fixture.emulator.faults.inject({ times: 5, action: { kind: 'status', status: 401 } });

    const error = await thrown(show({ provider: 'modelarts', imageId: SEEDED.modelarts.custom }));

    expect(error.name).toBe('UpstreamAuthFailed');
  });
});

describe('task delete', () => {
  it('deletes and returns the DeleteResult, the HTTP body', async () => {
    const result = await remove({ provider: 'modelarts', imageId: SEEDED.modelarts.custom });

    expect(result).toMatchObject({ outcome: 'deleted', image: { id: SEEDED.modelarts.custom } });
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(1);
    expect(fixture.log.only()).toMatchObject({
      message: 'task completed',
      operation: 'delete',
      outcome: 'deleted',
      // The show, the usage scan (one page of notebooks) and the delete.
      upstreamCalls: 3,
    });
  });

  it('reports a repeated delete as already-absent, a success', async () => {
    await remove({ provider: 'bcc', imageId: SEEDED.bcc.custom });
    const again = await remove({ provider: 'bcc', imageId: SEEDED.bcc.custom });

    expect(again).toEqual({ outcome: 'already-absent' });
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
  });

  it('does every check and deletes nothing on dryRun', async () => {
    const result = await remove({
      provider: 'modelarts',
      imageId: SEEDED.modelarts.custom,
      dryRun: true,
    });

    expect(result).toMatchObject({ outcome: 'dry-run', image: { id: SEEDED.modelarts.custom } });
    expect(deletesReceived()).toHaveLength(0);
  });

  it.each([
    ['modelarts', SEEDED.modelarts.builtIn, 'ImageProtected'],
    ['bcc', SEEDED.bcc.system, 'ImageProtected'],
    ['modelarts', SEEDED.modelarts.creating, 'ImageBusy'],
    ['bcc', SEEDED.bcc.creating, 'ImageBusy'],
  ])('refuses %s %s with %s, sending no DELETE', async (provider, imageId, name) => {
    const error = await thrown(remove({ provider, imageId }));

    expect(error.name).toBe(name);
    expect(deletesReceived()).toHaveLength(0);
  });

  it('throws InvalidRequest for force on bcc', async () => {
    const error = await thrown(
      remove({ provider: 'bcc', imageId: SEEDED.bcc.custom, force: true }),
    );

    expect(error.name).toBe('InvalidRequest');
    expect(fixture.emulator.requests).toHaveLength(0);
  });
});

describe('what a thrown error carries to the caller', () => {
  // The Lambda runtime answers a thrown error as {errorType: name, errorMessage: message, trace:
  // stack lines}, and Step Functions puts that answer in the failure's Cause: the trace must be
  // the name and message only, no stack frame of the bundle.
  it.each([
    ['a bad input', () => show({ provider: 'modelarts', imageId: 'not-a-uuid' }), 'InvalidRequest'],
    [
      'a missing image',
      () => show({ provider: 'modelarts', imageId: '00000000-0000-4000-8000-000000000000' }),
      'ImageNotFound',
    ],
    [
      'a protected image',
      () => remove({ provider: 'modelarts', imageId: SEEDED.modelarts.builtIn }),
      'ImageProtected',
    ],
  ])('%s: the name and message, and a trace of that one line', async (_, act, name) => {
    // Act
    const error = await thrown(act());

    // Assess
    expect(error.name).toBe(name);
    expect(error.stack).toBe(`${name}: ${error.message}`);
  });

  it('names the field a bad input got wrong, before anything is sent upstream', async () => {
    // Act
    const error = await thrown(show({ provider: 'modelarts', imageId: 'not-a-uuid' }));

    // Assess
    expect(error.message).toMatch(/^imageId: /);
    expect(fixture.emulator.requests).toHaveLength(0);
  });
});

describe('anything that is not one of our errors', () => {
  it('reaches the caller as InternalError with a generic message; the log keeps the detail', async () => {
    const context = lambdaContext();
    context.getRemainingTimeInMillis = () => {
      throw new TypeError('secret-looking detail: sk=abc');
    };

    const error = await thrown(
      show({ provider: 'modelarts', imageId: SEEDED.modelarts.custom }, context),
    );

    expect(error.name).toBe('InternalError');
    expect(error.message).toBe('internal error');
    expect(error.stack).toBe('InternalError: internal error');
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify(error)).not.toContain('secret');
    expect(fixture.log.only()).toMatchObject({ level: 'error', error: 'InternalError' });
    expect(String(fixture.log.lines[0]?.stack)).toContain('TypeError');
  });

  it('is shaped by the middleware whatever the handler throws', async () => {
    const handler = middy<unknown, unknown, Error, Context>()
      .use(pipeline(TASK_TRIGGER, 'show'))
      .handler(() => {
        throw new RangeError('bug');
      });

    const error = await thrown(handler({}, lambdaContext()));

    expect(error).toBeInstanceOf(InternalError);
    expect(error.name).toBe('InternalError');
  });

  it('maps: our errors as they are, middy early timeout as UpstreamTimeout, the rest generic', () => {
    const ours = new UpstreamThrottled('slow down');
    const timeout = Object.assign(new Error('[AbortError]'), { name: 'TimeoutError' });

    expect(toTaskError(ours)).toBe(ours);
    expect(toTaskError(timeout).name).toBe('UpstreamTimeout');
    expect(toTaskError('a string').name).toBe('InternalError');
    expect(toTaskError(new Error('x')).name).toBe('InternalError');
  });
});
