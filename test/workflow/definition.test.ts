// The retire-image definition as a document: valid ASL (asl-validator), deployed from this one file
// by serverless.yml, and written to the rules the handlers rely on: every Task has a timeout, the
// jittered retrier for transient upstream errors, AWS's retrier for Lambda service exceptions, one
// for an invocation that ended without answering (timed out), and a catch-all that keeps the
// error's name; every error name it matches is one a task, Lambda or Step Functions can raise.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ERROR_NAMES, RETRYABLE_ERROR_NAMES } from '../../lib/errors/error-table.js';
import { readServiceDefinition } from '../../scripts/build.js';
import { type Json, rawDefinition, resolveDefinition } from './definition.js';

type AslValidator = (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}
interface TaskState {
  Type: 'Task';
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
}

const { definition, taskFunctions } = resolveDefinition();
const states = definition.States as Record<string, { Type: string } & Record<string, Json>>;
const tasks = Object.entries(states).filter(
  ([, state]) => state.Type === 'Task',
) as unknown as Array<[string, TaskState]>;

const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];
// The invocation ended without an answer of ours: Lambda's own timeout (`Sandbox.Timedout`, or
// `Lambda.Unknown` through the optimised integration) or the Task's. A Task's retry finds what the
// first invocation did (a delete sent reads already-absent), so a few attempts are safe.
const INVOCATION_LOST = ['Sandbox.Timedout', 'Lambda.Unknown', 'States.Timeout'];
/** The longest Lambda lets a function's init phase take, outside its timeout. */
const LAMBDA_INIT_MAX_S = 10;
// The error table's retryable rows: the state machine retries exactly those.
const TRANSIENT = RETRYABLE_ERROR_NAMES;

describe('workflows/retire-image.asl.json', () => {
  it('is valid ASL (asl-validator, ARNs and paths checked)', () => {
    const result = aslValidator(definition, { checkArn: true, checkPaths: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('invokes only the two task functions', () => {
    expect(new Set(Object.values(taskFunctions))).toEqual(
      new Set(['taskShowImage', 'taskDeleteImage']),
    );
  });

  it.each(tasks)(
    'Task %s: timeout, the three retriers with full jitter, catch-all last',
    (_, state) => {
      expect(state.TimeoutSeconds).toBeGreaterThan(0);
      const retry = state.Retry ?? [];
      const transient = retry.find((retrier) => retrier.ErrorEquals.includes('UpstreamThrottled'));
      expect(transient?.ErrorEquals.sort()).toEqual([...TRANSIENT].sort());
      expect(transient).toMatchObject({ JitterStrategy: 'FULL' });
      expect(transient?.MaxDelaySeconds).toBeGreaterThan(0);
      const service = retry.find((retrier) =>
        retrier.ErrorEquals.includes('Lambda.ServiceException'),
      );
      expect(service?.ErrorEquals.sort()).toEqual([...LAMBDA_SERVICE_ERRORS].sort());
      expect(service).toMatchObject({ JitterStrategy: 'FULL' });
      expect(service?.MaxDelaySeconds).toBeGreaterThan(0);
      const lost = retry.find((retrier) => retrier.ErrorEquals.includes('Sandbox.Timedout'));
      expect(lost?.ErrorEquals.sort()).toEqual([...INVOCATION_LOST].sort());
      expect(lost).toMatchObject({ JitterStrategy: 'FULL' });
      // Few: an invocation that keeps timing out will not answer the next time either.
      expect(lost?.MaxAttempts).toBeLessThanOrEqual(3);
      const catches = state.Catch ?? [];
      expect(catches.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'Failed' });
    },
  );

  it('matches only error names the tasks throw (or Step Functions and Lambda define)', () => {
    const known = new Set<string>([
      ...ERROR_NAMES,
      ...LAMBDA_SERVICE_ERRORS,
      ...INVOCATION_LOST,
      'States.ALL',
    ]);
    for (const [name, state] of tasks) {
      for (const clause of [...(state.Retry ?? []), ...(state.Catch ?? [])]) {
        for (const error of clause.ErrorEquals) {
          expect(known.has(error), `${name}: ${error}`).toBe(true);
        }
      }
    }
  });

  it('fails through a Fail state that keeps the caught error name and cause', () => {
    expect(states.Failed).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
  });

  it("gives each Task longer than its function's Lambda timeout and init, which the function's own deadline ends first", async () => {
    // A Task timing out first would fail as States.Timeout (no name of the error table) while the
    // invocation, a delete say, went on without the workflow, and its retry (States.Timeout is
    // retried) would run beside it. Lambda's timeout does not count a cold start's init phase,
    // which may take up to 10 s.
    const service = (await readServiceDefinition()) as unknown as {
      functions: Record<string, { timeout?: number }>;
    };

    for (const [name, state] of tasks) {
      const fn = taskFunctions[name] ?? '';
      const lambdaTimeout = service.functions[fn]?.timeout;
      expect(lambdaTimeout, `${name}: ${fn} has a timeout`).toBeGreaterThan(0);
      expect(state.TimeoutSeconds, name).toBeGreaterThan(
        (lambdaTimeout ?? Infinity) + LAMBDA_INIT_MAX_S,
      );
    }
  }, 60_000);

  it('is what serverless.yml deploys (stepFunctions.stateMachines.retireImage, through file())', async () => {
    const service = (await readServiceDefinition()) as unknown as {
      stepFunctions?: { stateMachines?: Record<string, { definition?: unknown }> };
      functions: Record<string, unknown>;
    };
    expect(service.stepFunctions?.stateMachines?.retireImage?.definition).toEqual(rawDefinition());
    for (const fn of Object.values(taskFunctions)) expect(service.functions[fn]).toBeDefined();
  }, 60_000);
});
