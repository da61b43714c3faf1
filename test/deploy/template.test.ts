// The deployable stack, checked from what `osls package` produces with no AWS credentials: the
// CloudFormation template (IAM authorization on every route, one least-privilege role per
// function, no wildcard resource on Secrets Manager / SQS / S3 / DynamoDB / Step Functions /
// EventBridge actions, runtime, architecture, memory, timeout, environment and log retention as
// designed; the audit trail kept: plans bucket, runs table, event archive; one schedule per
// scheduled policy) and the deployment packages (each bundle loads in a plain `node` process;
// sizes reported). It packages the policies of test/deploy/fixtures/policies (one scheduled, one
// not). The checks are pure functions (template-checks.ts); the last block shows that they fail on
// wrong templates.

import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../lib/retirement/policy-text.js';
import { countFields, metricFields } from '../../lib/runtime/metrics.js';
import { RUNS_TABLE_DEFINITION } from '../../scripts/runs-table.js';
import { runChild } from '../support/child.js';
import { readZip } from '../support/zip.js';
import { esbuildWorkFolder, root, runOsls } from './packaging.js';
import {
  alarmProblems,
  auditStoreProblems,
  bucketsWithoutTlsDeny,
  consumerSettingsProblems,
  credentialsKeyGrantProblems,
  deadLetterQueuesNotRetained,
  eventArchiveProblems,
  functionsWithoutLogGroup,
  grantsOf,
  iamStatements,
  isWildcardResource,
  LOG_DELIVERY_ACTIONS,
  lambdaFunctions,
  logGroupsWithoutRetention,
  queuesWithoutTlsDeny,
  readScheduleInput,
  routesWithoutIam,
  scheduleProblems,
  sharedOrMissingRoles,
  stagesWithoutAccessLogs,
  stagesWithoutThrottle,
  stateMachinesWithoutLogging,
  type Template,
  UNSCOPABLE_ACTIONS,
  type WrittenMetrics,
  wildcardGrants,
} from './template-checks.js';

const STAGE = 'ci';
const REGION = 'eu-west-1';
const SECRET_ID = 'cloud-image-functions/ci';
/** Stage parameters of the HTTP API throttle, other than the defaults: they reach the template. */
const THROTTLE = { rate: 40, burst: 80 };
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** The address the alarms topic mails (stage parameter alarmEmail). */
const ALARM_EMAIL = 'ops@example.com';
/** Retirement stage parameters, none of them the default: each must reach the template. */
const RETIREMENT = {
  queueMaximumConcurrency: 7,
  deleteQueueMaxReceiveCount: 6,
  upstreamRateLimits: 'modelarts=8,modelarts:cn-north-4=4,bcc=16',
  eventArchiveRetentionDays: 90,
  policiesDir: 'test/deploy/fixtures/policies',
};

let work: string;
let packageDir: string;
let template: Template;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cif-deploy-'));
  packageDir = join(work, 'package');
  const result = await runOsls(
    [
      'package',
      '--package',
      packageDir,
      '--stage',
      STAGE,
      '--region',
      REGION,
      '--param',
      `imageCredentialsSecretId=${SECRET_ID}`,
      '--param',
      'logLevel=warn',
      '--param',
      'protectedImageIds=m-golden1',
      '--param',
      `httpApiThrottlingRateLimit=${THROTTLE.rate}`,
      '--param',
      `httpApiThrottlingBurstLimit=${THROTTLE.burst}`,
      '--param',
      `imageCredentialsKmsKeyArn=${KMS_KEY}`,
      '--param',
      `alarmEmail=${ALARM_EMAIL}`,
      ...Object.entries(RETIREMENT).flatMap(([name, value]) => ['--param', `${name}=${value}`]),
    ],
    'package',
  );
  if (result.code !== 0) {
    throw new Error(`osls package failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  template = JSON.parse(
    await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  await rm(join(root, esbuildWorkFolder('package')), { recursive: true, force: true });
});

const getAtt = (id: string) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
const SECRET_ARN = JSON.stringify({
  'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:cloud-image-functions/${STAGE}-??????`,
});
const logs = (fn: string) => [
  { action: 'logs:CreateLogStream', resource: getAtt(`${fn}LogGroup`) },
  { action: 'logs:PutLogEvents', resource: getAtt(`${fn}LogGroup`) },
];
const readSecret = [{ action: 'secretsmanager:GetSecretValue', resource: SECRET_ARN }];
const consumeQueue = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'].map(
  (action) => ({ action, resource: getAtt('ImageDeleteQueue') }),
);
const inPlansBucket = (prefix: string) =>
  JSON.stringify({ 'Fn::Sub': `\${PlansBucket.Arn}/${prefix}/*` });
const putEvents = [{ action: 'events:PutEvents', resource: getAtt('ImageEventBus') }];
const writePlans = [{ action: 's3:PutObject', resource: inPlansBucket('plans') }];
/** GetObject, and ListBucket so that a missing plan is S3's 404 rather than AccessDenied. */
const readPlans = [
  { action: 's3:GetObject', resource: inPlansBucket('plans') },
  { action: 's3:ListBucket', resource: getAtt('PlansBucket') },
];
const writeRunRecords = [{ action: 's3:PutObject', resource: inPlansBucket('runs') }];
/** Claims, outcomes and completion: conditional puts, and TransactWriteItems of updates (IAM
 * authorizes each item's own action; there is no dynamodb:TransactWriteItems action). */
const recordRuns = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
].map((action) => ({ action, resource: getAtt('RunsTable') }));
const sendDeletes = [{ action: 'sqs:SendMessage', resource: getAtt('ImageDeleteQueue') }];

/** The design: each function's handler, memory, timeout and exactly what its role allows. */
const DESIGN: Record<
  string,
  {
    handler: string;
    memorySize: number;
    timeout: number;
    grants: Array<{ action: string; resource: string }>;
  }
> = {
  HttpShowImage: {
    handler: 'functions/http/show-image.handler',
    memorySize: 512,
    timeout: 29,
    grants: [...logs('HttpShowImage'), ...readSecret],
  },
  HttpDeleteImage: {
    handler: 'functions/http/delete-image.handler',
    memorySize: 512,
    timeout: 29,
    grants: [...logs('HttpDeleteImage'), ...readSecret, ...putEvents],
  },
  HttpListImages: {
    handler: 'functions/http/list-images.handler',
    memorySize: 512,
    timeout: 29,
    grants: [...logs('HttpListImages'), ...readSecret],
  },
  HttpImageUsage: {
    handler: 'functions/http/image-usage.handler',
    memorySize: 512,
    timeout: 29,
    grants: [...logs('HttpImageUsage'), ...readSecret],
  },
  TaskListImages: {
    handler: 'functions/task/list-images.handler',
    memorySize: 512,
    timeout: 30,
    grants: [...logs('TaskListImages'), ...readSecret],
  },
  TaskImageUsage: {
    handler: 'functions/task/image-usage.handler',
    memorySize: 512,
    timeout: 30,
    grants: [...logs('TaskImageUsage'), ...readSecret],
  },
  HttpOpenApi: {
    handler: 'functions/http/openapi.handler',
    memorySize: 256,
    timeout: 5,
    grants: logs('HttpOpenApi'),
  },
  TaskShowImage: {
    handler: 'functions/task/show-image.handler',
    memorySize: 512,
    timeout: 30,
    grants: [...logs('TaskShowImage'), ...readSecret],
  },
  TaskDeleteImage: {
    handler: 'functions/task/delete-image.handler',
    memorySize: 512,
    timeout: 30,
    grants: [...logs('TaskDeleteImage'), ...readSecret, ...putEvents],
  },
  SqsDeleteImage: {
    handler: 'functions/sqs/delete-image.handler',
    memorySize: 512,
    timeout: 60,
    grants: [
      ...logs('SqsDeleteImage'),
      ...readSecret,
      ...consumeQueue,
      ...recordRuns,
      ...writeRunRecords,
      // A run message is worked on only when its plan retires that image as it says.
      ...readPlans,
      ...putEvents,
    ],
  },
  HttpCreatePlan: {
    handler: 'functions/http/create-plan.handler',
    memorySize: 512,
    timeout: 29,
    grants: [...logs('HttpCreatePlan'), ...readSecret, ...writePlans, ...putEvents],
  },
  HttpGetPlan: {
    handler: 'functions/http/get-plan.handler',
    memorySize: 512,
    timeout: 10,
    grants: [...logs('HttpGetPlan'), ...readPlans],
  },
  // Applying may complete the run at once (nothing to retire, or nothing could be queued): then it
  // writes the run's audit copy and publishes its outcomes and "Retirement Run Completed".
  HttpApplyPlan: {
    handler: 'functions/http/apply-plan.handler',
    memorySize: 512,
    timeout: 29,
    grants: [
      ...logs('HttpApplyPlan'),
      ...readPlans,
      ...recordRuns,
      ...sendDeletes,
      ...writeRunRecords,
      ...putEvents,
    ],
  },
  HttpGetRun: {
    handler: 'functions/http/get-run.handler',
    memorySize: 512,
    timeout: 10,
    grants: [...logs('HttpGetRun'), { action: 'dynamodb:Query', resource: getAtt('RunsTable') }],
  },
  // Makes the plan, applies it for `apply: auto`; its failed async invocations go to the DLQ.
  ScheduledPlan: {
    handler: 'functions/schedule/plan-policy.handler',
    memorySize: 1024,
    timeout: 300,
    grants: [
      ...logs('ScheduledPlan'),
      ...readSecret,
      ...writePlans,
      ...readPlans,
      ...recordRuns,
      ...sendDeletes,
      ...writeRunRecords,
      ...putEvents,
      { action: 'sqs:SendMessage', resource: getAtt('PolicySchedulesDeadLetterQueue') },
    ],
  },
};

/** The functions that call the clouds, and so read the credentials secret. */
const readsSecret = (name: string): boolean =>
  DESIGN[name]?.grants.some((grant) => grant.action === 'secretsmanager:GetSecretValue') ?? false;

const ENVIRONMENT = {
  IMAGE_CREDENTIALS_SECRET_ID: SECRET_ID,
  MODELARTS_ENDPOINT: '',
  BCC_ENDPOINT: '',
  PROTECTED_IMAGE_IDS: 'm-golden1',
  PROTECTED_IMAGE_NAME_PATTERNS: '',
  LOG_LEVEL: 'warn',
  POWERTOOLS_SERVICE_NAME: 'cloud-image-functions',
  POWERTOOLS_METRICS_NAMESPACE: 'CloudImageFunctions',
  PLANS_BUCKET: { Ref: 'PlansBucket' },
  RUNS_TABLE: { Ref: 'RunsTable' },
  EVENT_BUS_NAME: { Ref: 'ImageEventBus' },
  DELETE_QUEUE_URL: { Ref: 'ImageDeleteQueue' },
  UPSTREAM_RATE_LIMITS: RETIREMENT.upstreamRateLimits,
};

describe('the packaged template', () => {
  it('has every HTTP route behind IAM authorization (AWS_IAM)', () => {
    const routes = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route')
      .map((route) => route.Properties?.RouteKey)
      .sort();
    expect(routes).toEqual([
      'DELETE /images/{provider}/{imageId}',
      'GET /images/{provider}',
      'GET /images/{provider}/{imageId}',
      'GET /images/{provider}/{imageId}/usage',
      'GET /openapi.json',
      'GET /retirements/plans/{planId}',
      'GET /retirements/runs/{runId}',
      'POST /retirements/plans',
      'POST /retirements/plans/{planId}/apply',
    ]);
    expect(routesWithoutIam(template)).toEqual([]);
  });

  it('grants nothing on a wildcard resource but the log-delivery and X-Ray actions AWS cannot scope', () => {
    expect(wildcardGrants(template)).toEqual([]);
    // What is granted on `*` at all: exactly the unscopable actions, and only to the state machine.
    const onWildcard = iamStatements(template)
      .filter((statement) => statement.effect === 'Allow')
      .filter((statement) => statement.resources.some(isWildcardResource));
    expect(onWildcard.map((statement) => statement.where.split(' ')[0])).toEqual([
      'RetireImageStateMachineRole',
    ]);
    expect(onWildcard.flatMap((statement) => statement.actions).sort()).toEqual(
      Object.keys(UNSCOPABLE_ACTIONS).sort(),
    );
  });

  it('lets every role put only the service\u2019s own events on the bus, which the delete rule never takes', () => {
    const putStatements = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
      .flatMap(([id, role]) =>
        ((role.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: unknown[] } }>)
          .flatMap((policy) => policy.PolicyDocument.Statement)
          .map((statement) => ({ id, statement: statement as Record<string, unknown> })),
      )
      .filter(({ statement }) => [statement.Action].flat().includes('events:PutEvents'))
      .filter(({ statement }) => statement.Effect === 'Allow');
    expect(putStatements.length).toBeGreaterThanOrEqual(5);
    for (const { id, statement } of putStatements) {
      expect(statement.Condition, id).toEqual({
        StringEquals: { 'events:source': 'cloud-image-functions' },
      });
    }
    const rules = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Events::Rule',
    );
    const deleteRule = rules.find((rule) =>
      JSON.stringify(rule.Properties?.EventPattern).includes('Image Delete Requested'),
    );
    expect(
      (deleteRule?.Properties?.EventPattern as { source?: unknown } | undefined)?.source,
    ).toEqual([{ 'anything-but': 'cloud-image-functions' }]);
  });

  it('gives each function a role of its own, and no shared execution role exists', () => {
    expect(sharedOrMissingRoles(template)).toEqual([]);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it("allows each function exactly what it does: its log group, the one secret, the consumer's queue, the plans bucket's prefixes, the runs table, the delete queue, the bus", () => {
    const functions = lambdaFunctions(template)
      .map((fn) => fn.logicalId)
      .sort();
    expect(functions).toEqual(
      Object.keys(DESIGN)
        .map((name) => `${name}LambdaFunction`)
        .sort(),
    );
    for (const [name, design] of Object.entries(DESIGN)) {
      const expected = [...design.grants].sort((a, b) =>
        `${a.action} ${a.resource}`.localeCompare(`${b.action} ${b.resource}`),
      );
      expect(grantsOf(template, `${name}LambdaFunction`), name).toEqual(expected);
    }
  });

  it('lets exactly the roles that read the secret decrypt it with its customer managed key, via Secrets Manager, when one is given', () => {
    expect(credentialsKeyGrantProblems(template)).toEqual([]);
    expect(template.Parameters?.CredentialsSecretKmsKeyArn).toMatchObject({
      Type: 'String',
      Default: KMS_KEY,
    });
    expect(template.Conditions?.CredentialsSecretHasCustomerKey).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'CredentialsSecretKmsKeyArn' }, ''] }],
    });
    const policy = template.Resources.CredentialsSecretKeyPolicy;
    expect(policy?.Condition).toBe('CredentialsSecretHasCustomerKey');
    expect(policy?.Properties?.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { Ref: 'CredentialsSecretKmsKeyArn' },
          Condition: {
            StringEquals: {
              'kms:ViaService': { 'Fn::Sub': `secretsmanager.\${AWS::Region}.\${AWS::URLSuffix}` },
            },
          },
        },
      ],
    });
  });

  it('runs every function on nodejs24.x, arm64, with its memory, timeout, handler and environment', () => {
    for (const fn of lambdaFunctions(template)) {
      const design = DESIGN[fn.logicalId.replace(/LambdaFunction$/, '')];
      expect(design, fn.logicalId).toBeDefined();
      expect(fn, fn.logicalId).toMatchObject({
        runtime: 'nodejs24.x',
        architectures: ['arm64'],
        memorySize: design?.memorySize,
        timeout: design?.timeout,
        handler: design?.handler,
      });
      const extra =
        fn.logicalId === 'SqsDeleteImageLambdaFunction'
          ? {
              SQS_RECORD_CONCURRENCY: '10',
              SQS_MAX_CONCURRENCY: String(RETIREMENT.queueMaximumConcurrency),
              MAX_RECEIVE_COUNT: String(RETIREMENT.deleteQueueMaxReceiveCount),
            }
          : {};
      expect(fn.environment, fn.logicalId).toEqual({ ...ENVIRONMENT, ...extra });
    }
  });

  it("keeps every log group 30 days: each function's, the API's access log, the state machine's", () => {
    const groups = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::Logs::LogGroup',
    );
    expect(groups.map(([id]) => id).sort()).toEqual(
      [
        ...Object.keys(DESIGN).map((name) => `${name}LogGroup`),
        'HttpApiLogGroup',
        'RetireImageStateMachineLogGroup',
      ].sort(),
    );
    for (const [, group] of groups) expect(group.Properties?.RetentionInDays).toBe(30);
    expect(logGroupsWithoutRetention(template)).toEqual([]);
    expect(functionsWithoutLogGroup(template)).toEqual([]);
  });

  it('writes one JSON access-log line per HTTP request to a log group of its own', () => {
    expect(stagesWithoutAccessLogs(template)).toEqual([]);
    const stage = template.Resources.HttpApiStage?.Properties as {
      AccessLogSettings: { DestinationArn: unknown; Format: string };
    };
    expect(stage.AccessLogSettings.DestinationArn).toEqual({
      'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'],
    });
    expect(template.Resources.HttpApiLogGroup?.Properties?.LogGroupName).toBe(
      `/aws/http-api/cloud-image-functions-${STAGE}`,
    );
    // Who called: the signed caller's IAM ARN.
    expect(JSON.parse(stage.AccessLogSettings.Format)).toMatchObject({
      caller: '$context.identity.userArn',
      status: '$context.status',
    });
  });

  it('throttles every route by default, at the rate and burst the stage parameters give', () => {
    expect(stagesWithoutThrottle(template)).toEqual([]);
    expect(template.Resources.HttpApiStage?.Properties?.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: THROTTLE.rate,
      ThrottlingBurstLimit: THROTTLE.burst,
    });
  });

  it('logs the retire-image executions that fail (ERROR, with execution data) to a log group of their own', () => {
    expect(stateMachinesWithoutLogging(template)).toEqual([]);
    expect(template.Resources.RetireImageStateMachine?.Properties?.LoggingConfiguration).toEqual({
      Level: 'ERROR',
      IncludeExecutionData: true,
      Destinations: [
        {
          CloudWatchLogsLogGroup: {
            LogGroupArn: { 'Fn::GetAtt': ['RetireImageStateMachineLogGroup', 'Arn'] },
          },
        },
      ],
    });
    expect(template.Resources.RetireImageStateMachineLogGroup?.Properties?.LogGroupName).toBe(
      `/aws/vendedlogs/states/cloud-image-functions-${STAGE}-retire-image`,
    );
  });

  it('denies every request without TLS on every queue, the dead-letter queues included', () => {
    const queues = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::SQS::Queue')
      .map(([id]) => id)
      .sort();
    expect(queues).toEqual([
      'ImageDeleteDeadLetterQueue',
      'ImageDeleteQueue',
      'ImageEventsDeadLetterQueue',
      'PolicySchedulesDeadLetterQueue',
    ]);
    expect(queuesWithoutTlsDeny(template)).toEqual([]);
  });

  it('keeps every dead-letter queue, and its messages, when the stack is removed or it is replaced', () => {
    expect(deadLetterQueuesNotRetained(template)).toEqual([]);
    for (const id of [
      'ImageDeleteDeadLetterQueue',
      'ImageEventsDeadLetterQueue',
      'PolicySchedulesDeadLetterQueue',
    ]) {
      expect(template.Resources[id], id).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
    // The queue that carries work is not kept: removing a stage removes its pending requests.
    expect(template.Resources.ImageDeleteQueue?.DeletionPolicy).toBeUndefined();
  });

  it('alarms to one topic on every dead-letter queue, on events not published and on a cloud refusing the credentials, over the metrics the functions write', () => {
    // Prepare: the metrics as the functions' own code writes them (the stack's namespace and
    // service are the defaults here, as in this process).
    const count = countFields('EventsNotPublished', 1)._aws as {
      CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }>;
    };
    const failure = metricFields({
      provider: 'bcc',
      operation: 'delete',
      outcome: 'failed',
      error: 'UpstreamAuthFailed',
      calls: [],
    })._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> };
    const [directive] = count.CloudWatchMetrics;
    const written: WrittenMetrics = {
      namespace: directive?.Namespace ?? '?',
      service: 'cloud-image-functions',
      countDimensions: directive?.Dimensions[0] ?? [],
      failureDimensions:
        failure.CloudWatchMetrics[0]?.Dimensions.find((set) => set.includes('error')) ?? [],
    };

    // Act
    const problems = alarmProblems(template, written);

    // Assess: before, the README named what was worth an alarm and the stack made none.
    expect(problems).toEqual([]);
    const alarms = Object.entries(template.Resources).filter(
      ([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm',
    );
    expect(alarms.map(([id]) => id).sort()).toEqual([
      'EventsNotPublishedAlarm',
      'ImageDeleteDeadLetterQueueAlarm',
      'ImageEventsDeadLetterQueueAlarm',
      'PolicySchedulesDeadLetterQueueAlarm',
      'UpstreamAuthFailedAlarm',
    ]);
  });

  it('mails the alarms topic at the alarmEmail stage parameter, and nowhere without one', () => {
    expect(template.Parameters?.AlarmEmail).toMatchObject({ Default: ALARM_EMAIL });
    expect(template.Conditions?.AlarmEmailGiven).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }],
    });
    expect(template.Resources.AlarmEmailSubscription).toEqual({
      Type: 'AWS::SNS::Subscription',
      Condition: 'AlarmEmailGiven',
      Properties: {
        TopicArn: { Ref: 'AlarmTopic' },
        Protocol: 'email',
        Endpoint: { Ref: 'AlarmEmail' },
      },
    });
  });

  it('outputs what operators look up with `osls info --verbose` (README): the API, the queues, the bus, the state machine', () => {
    const outputs = template.Outputs ?? {};
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'HttpApiUrl',
        'ImageDeleteQueueUrl',
        'ImageDeleteDeadLetterQueueUrl',
        'ImageEventsDeadLetterQueueUrl',
        'ImageEventBusName',
        'RetireImageStateMachineArn',
        'ImageEventArchiveName',
        'PlansBucketName',
        'RunsTableName',
        'PolicySchedulesDeadLetterQueueUrl',
        'AlarmTopicArn',
      ]),
    );
    expect(outputs.ImageEventsDeadLetterQueueUrl).toEqual({
      Value: { Ref: 'ImageEventsDeadLetterQueue' },
    });
  });

  it('feeds the consumer from its queue with partial batch responses, the queue its role may read', () => {
    const mappings = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::EventSourceMapping',
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['ImageDeleteQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['SqsDeleteImageLambdaFunction', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 20,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: RETIREMENT.queueMaximumConcurrency },
    });
  });

  it("tells the consumer its mapping's maximumConcurrency and its queue's maxReceiveCount, from one parameter each", () => {
    expect(consumerSettingsProblems(template)).toEqual([]);
    expect(template.Resources.ImageDeleteQueue?.Properties?.RedrivePolicy).toMatchObject({
      maxReceiveCount: RETIREMENT.deleteQueueMaxReceiveCount,
    });
  });

  it('keeps plans and runs (the audit trail) when the stack is removed: retained, encrypted, versioned, private, TLS only', () => {
    expect(auditStoreProblems(template, ['PlansBucket', 'RunsTable'])).toEqual([]);
    expect(bucketsWithoutTlsDeny(template)).toEqual([]);
    expect(
      Object.entries(template.Resources)
        .filter(([, resource]) => resource.Type === 'AWS::S3::Bucket')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['PlansBucket', 'ServerlessDeploymentBucket']);
    // The definition the run-store tests create in moto (pk/sk strings, on demand).
    expect(template.Resources.RunsTable?.Properties).toMatchObject(RUNS_TABLE_DEFINITION);
  });

  it("archives every event of the service's bus for eventArchiveRetentionDays", () => {
    expect(
      eventArchiveProblems(template, {
        bus: 'ImageEventBus',
        source: 'cloud-image-functions',
        retentionDays: RETIREMENT.eventArchiveRetentionDays,
      }),
    ).toEqual([]);
  });

  it('schedules exactly the policies that have a schedule, each invoking scheduledPlan with the policy through a role that can do nothing else', async () => {
    const schedules = Object.entries(template.Resources).filter(
      ([, resource]) => resource.Type === 'AWS::Scheduler::Schedule',
    );
    expect(schedules.map(([id]) => id)).toEqual(['PolicyScheduleNightlyBccCleanup']);
    expect(scheduleProblems(template, 'ScheduledPlanLambdaFunction')).toEqual([]);

    const file = join(root, RETIREMENT.policiesDir, 'nightly-bcc-cleanup.yml');
    const policy = parsePolicyText(await readFile(file, 'utf8'), 'yaml');
    const [, schedule] = schedules[0] as [string, { Properties: Record<string, unknown> }];
    expect(schedule.Properties).toMatchObject({
      Name: 'nightly-bcc-cleanup',
      GroupName: { Ref: 'PolicyScheduleGroup' },
      ScheduleExpression: 'rate(1 day)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': ['ScheduledPlanLambdaFunction', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['PolicyScheduleRole', 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['PolicySchedulesDeadLetterQueue', 'Arn'] } },
      },
    });
    const target = schedule.Properties.Target as { Input: unknown };
    expect(readScheduleInput(target.Input)).toEqual({
      policy,
      identity: { 'Fn::GetAtt': ['PolicyScheduleRole', 'Arn'] },
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
    expect(template.Resources.PolicyScheduleGroup?.Properties).toEqual({
      Name: `cloud-image-functions-${STAGE}`,
    });
  });

  it("retries a firing a bounded number of times, then leaves it in the schedules' dead-letter queue", () => {
    // Scheduler invokes scheduledPlan asynchronously: Scheduler's own retry policy covers an
    // invocation that could not be made, Lambda's async settings one that failed (a thrown
    // error), and both end in the same DLQ.
    const dlq = { 'Fn::GetAtt': ['PolicySchedulesDeadLetterQueue', 'Arn'] };
    const schedule = template.Resources.PolicyScheduleNightlyBccCleanup?.Properties as {
      Target: { RetryPolicy: unknown };
    };
    const asyncConfigs = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::EventInvokeConfig',
    );

    expect(schedule.Target.RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: 3600,
      MaximumRetryAttempts: 185,
    });
    expect(asyncConfigs.map((config) => config.Properties)).toEqual([
      {
        FunctionName: { Ref: 'ScheduledPlanLambdaFunction' },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: dlq } },
      },
    ]);
  });
});

describe('the deployment packages', () => {
  interface Bundle {
    fn: string;
    file: string;
    zipBytes: number;
    codeBytes: number;
    mapBytes: number;
  }
  const bundles: Bundle[] = [];

  beforeAll(async () => {
    const unpacked = join(work, 'unpacked');
    for (const fn of lambdaFunctions(template)) {
      const name = fn.logicalId.replace(/LambdaFunction$/, '');
      const zipName = `${name.charAt(0).toLowerCase()}${name.slice(1)}.zip`;
      const zip = join(packageDir, zipName);
      const entries = await readZip(zip);
      for (const entry of entries) {
        const target = join(unpacked, name, entry.name);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, entry.data);
      }
      const handler = String(fn.handler);
      const file = join(unpacked, name, `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`);
      const code = entries.find((entry) => join(unpacked, name, entry.name) === file);
      const map = entries.find((entry) => join(unpacked, name, entry.name) === `${file}.map`);
      bundles.push({
        fn: name,
        file,
        zipBytes: (await stat(zip)).size,
        codeBytes: code?.data.length ?? 0,
        mapBytes: map?.data.length ?? 0,
      });
    }
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`.padStart(11);
    console.log(
      [
        'deployment packages (minified ESM bundle, its source map, the zip):',
        ...bundles.map(
          (bundle) =>
            `  ${bundle.fn.padEnd(16)} ${kib(bundle.codeBytes)} code ${kib(bundle.mapBytes)} map ${kib(bundle.zipBytes)} zip`,
        ),
      ].join('\n'),
    );
  });

  it('holds one bundle and its source map per function, and nothing else', async () => {
    expect(bundles.map((bundle) => bundle.fn).sort()).toEqual(Object.keys(DESIGN).sort());
    for (const bundle of bundles) {
      expect(bundle.codeBytes, bundle.fn).toBeGreaterThan(0);
      expect(bundle.mapBytes, bundle.fn).toBeGreaterThan(0);
      const files = await readdir(dirname(bundle.file));
      expect(files.sort()).toEqual([
        bundle.file.slice(dirname(bundle.file).length + 1),
        `${bundle.file.slice(dirname(bundle.file).length + 1)}.map`,
      ]);
    }
  });

  it('bundles the Secrets Manager client into every function that reads the secret (nothing from the runtime)', async () => {
    for (const bundle of bundles) {
      const code = await readFile(bundle.file, 'utf8');
      // An import of the SDK left to the runtime (error-message text that quotes one, inside
      // brackets, is not an import).
      const external = code.match(
        /(?<![[\w.])(?:from|import|require)\s*\(?\s*["']@aws-sdk\/[^"']*/g,
      );
      expect(external ?? [], bundle.fn).toEqual([]);
      // Every function whose role may read the secret carries the code that reads it. (Functions
      // on the shared invocation pipeline carry the credential store too; without the grant they
      // cannot read the secret, which the role checks above prove.)
      if (readsSecret(bundle.fn)) expect(code.includes('GetSecretValue'), bundle.fn).toBe(true);
      if (bundle.fn === 'HttpOpenApi') expect(code.includes('GetSecretValue')).toBe(false);
    }
  });

  it('each bundle loads in a plain node process and exports its handler; the document one answers', async () => {
    for (const bundle of bundles) {
      const probe = join(work, `probe-${bundle.fn}.mjs`);
      await writeFile(
        probe,
        [
          `if (typeof globalThis.require !== 'undefined') throw new Error('a global require is defined');`,
          `const bundle = await import(${JSON.stringify(pathToFileURL(bundle.file).href)});`,
          `const out = { handler: typeof bundle.handler };`,
          bundle.fn === 'HttpOpenApi'
            ? `const answer = await bundle.handler(); out.status = answer.statusCode; out.body = JSON.parse(answer.body);`
            : '',
          `console.log(JSON.stringify(out));`,
        ].join('\n'),
      );
      const result = await runChild(process.execPath, ['--enable-source-maps', probe], {
        cwd: work,
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent' },
        timeoutMs: 30_000,
      });
      expect(result.stderr, bundle.fn).toBe('');
      expect(result.code, bundle.fn).toBe(0);
      const out = JSON.parse(result.stdout) as { handler: string; status?: number; body?: unknown };
      expect(out.handler, bundle.fn).toBe('function');
      if (bundle.fn === 'HttpOpenApi') {
        expect(out.status).toBe(200);
        expect(out.body).toEqual(
          JSON.parse(await readFile(join(root, 'docs', 'openapi.json'), 'utf8')),
        );
      }
    }
  });
});

describe('the checks fail on a wrong template', () => {
  const wrong = (): Template => ({
    Resources: {
      OpenRoute: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: { RouteKey: 'GET /images/{provider}/{imageId}', AuthorizationType: 'NONE' },
      },
      NoAuthRoute: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: { RouteKey: 'DELETE /images/{provider}/{imageId}' },
      },
      SignedRoute: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: { RouteKey: 'GET /openapi.json', AuthorizationType: 'AWS_IAM' },
      },
      SharedRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [
            {
              PolicyName: 'too-much',
              PolicyDocument: {
                Statement: [
                  { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' },
                  {
                    Effect: 'Allow',
                    Action: ['sqs:*'],
                    Resource: 'arn:aws:sqs:eu-west-1:123456789012:*',
                  },
                  {
                    Effect: 'Allow',
                    Action: 'states:StartExecution',
                    NotResource: 'arn:aws:states:x',
                  },
                  { Effect: 'Allow', Action: '*', Resource: ['*'] },
                  { Effect: 'Deny', Action: 'events:PutEvents', Resource: '*' },
                  { Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' },
                  // A wildcard action is never one of the unscopable ones; next to them it is
                  // still reported, and they are not.
                  { Effect: 'Allow', Action: ['logs:*', 'logs:CreateLogDelivery'], Resource: '*' },
                  { Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' },
                ],
              },
            },
          ],
        },
      },
      One: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: { 'Fn::GetAtt': ['SharedRole', 'Arn'] } },
      },
      Two: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: { 'Fn::GetAtt': ['SharedRole', 'Arn'] } },
      },
      Three: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: 'arn:aws:iam::123456789012:role/x' },
      },
    },
  });

  it('a route without an IAM authorizer', () => {
    expect(routesWithoutIam(wrong())).toEqual([
      'OpenRoute (GET /images/{provider}/{imageId}): NONE',
      'NoAuthRoute (DELETE /images/{provider}/{imageId}): NONE',
    ]);
  });

  it("`Resource: '*'` on secretsmanager:GetSecretValue, and every other grant on a wildcard but the unscopable ones", () => {
    expect(wildcardGrants(wrong())).toEqual([
      'SharedRole too-much #0: secretsmanager:GetSecretValue on *',
      'SharedRole too-much #1: sqs:* on arn:aws:sqs:eu-west-1:123456789012:*',
      'SharedRole too-much #2: states:StartExecution on NotResource',
      'SharedRole too-much #3: * on *',
      'SharedRole too-much #5: logs:PutLogEvents on *',
      'SharedRole too-much #6: logs:* on *',
    ]);
  });

  it('the same mistakes planted in the real packaged template', () => {
    const planted = structuredClone(template);
    const route = Object.values(planted.Resources).find(
      (r) => r.Type === 'AWS::ApiGatewayV2::Route',
    );
    if (route?.Properties) delete route.Properties.AuthorizationType;
    expect(routesWithoutIam(planted)).toHaveLength(1);

    const role = planted.Resources.HttpShowImageRole?.Properties as {
      Policies: Array<{ PolicyDocument: { Statement: unknown[] } }>;
    };
    role.Policies[0]?.PolicyDocument.Statement.push({
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: '*',
    });
    expect(wildcardGrants(planted)).toEqual([
      'HttpShowImageRole http-show-image #2: secretsmanager:GetSecretValue on *',
    ]);
    expect(grantsOf(planted, 'HttpShowImageLambdaFunction')).toContainEqual({
      action: 'secretsmanager:GetSecretValue',
      resource: '*',
    });
  });

  it('shared roles, and roles from outside the template', () => {
    expect(sharedOrMissingRoles(wrong())).toEqual([
      'Three: its role is not a role of this template',
      'SharedRole is shared by One, Two',
    ]);
  });

  it('wildcards inside Fn::Sub ARNs, but not the secret name pattern or a GetAtt', () => {
    const subArn = (tail: string) =>
      JSON.stringify({
        'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:${tail}`,
      });
    expect(isWildcardResource(subArn('*:secret:*'))).toBe(true);
    expect(isWildcardResource(subArn('*:*'))).toBe(true);
    expect(isWildcardResource(SECRET_ARN)).toBe(false);
    expect(isWildcardResource(getAtt('ImageDeleteQueue'))).toBe(false);
  });
  // The hardening checks, each shown to fail on the real template with one mistake planted.
  const planted = (): Template => structuredClone(template);
  const properties = (t: Template, id: string) => {
    const resource = t.Resources[id];
    if (resource?.Properties === undefined) throw new Error(`no ${id}`);
    return resource.Properties as Record<string, unknown>;
  };

  it('a log group without retention, and a function whose log group is not in the stack', () => {
    const t = planted();
    delete properties(t, 'HttpApiLogGroup').RetentionInDays;
    delete t.Resources.HttpShowImageLogGroup;
    expect(logGroupsWithoutRetention(t)).toEqual(['HttpApiLogGroup: no RetentionInDays']);
    expect(functionsWithoutLogGroup(t)).toEqual([
      `HttpShowImageLambdaFunction: no log group /aws/lambda/cloud-image-functions-${STAGE}-httpShowImage`,
    ]);
  });

  it("an API stage without access logs, logging into a function's log group, or in a format without the status", () => {
    const none = planted();
    delete properties(none, 'HttpApiStage').AccessLogSettings;
    expect(stagesWithoutAccessLogs(none)).toEqual(['HttpApiStage: no AccessLogSettings']);

    const shared = planted();
    (
      properties(shared, 'HttpApiStage').AccessLogSettings as Record<string, unknown>
    ).DestinationArn = { 'Fn::GetAtt': ['HttpShowImageLogGroup', 'Arn'] };
    expect(stagesWithoutAccessLogs(shared)).toEqual([
      'HttpApiStage: its log group HttpShowImageLogGroup is also written by HttpShowImageLambdaFunction',
    ]);

    const outside = planted();
    (
      properties(outside, 'HttpApiStage').AccessLogSettings as Record<string, unknown>
    ).DestinationArn = 'arn:aws:logs:eu-west-1:123456789012:log-group:somewhere';
    expect(stagesWithoutAccessLogs(outside)).toEqual([
      'HttpApiStage: access logs go to no log group of this template',
    ]);

    const plain = planted();
    (properties(plain, 'HttpApiStage').AccessLogSettings as Record<string, unknown>).Format =
      '{"requestId":"$context.requestId","routeKey":"$context.routeKey"}';
    expect(stagesWithoutAccessLogs(plain)).toEqual([
      'HttpApiStage: access log format lacks $context.status',
    ]);
  });

  it('an API stage with no default throttle, or a burst of 0', () => {
    const t = planted();
    properties(t, 'HttpApiStage').DefaultRouteSettings = { ThrottlingBurstLimit: 0 };
    expect(stagesWithoutThrottle(t)).toEqual([
      'HttpApiStage: DefaultRouteSettings.ThrottlingRateLimit is undefined',
      'HttpApiStage: DefaultRouteSettings.ThrottlingBurstLimit is 0',
    ]);
  });

  it("a state machine that logs nothing, logs into the API's log group, or whose role cannot deliver logs", () => {
    const none = planted();
    delete properties(none, 'RetireImageStateMachine').LoggingConfiguration;
    expect(stateMachinesWithoutLogging(none)).toEqual([
      'RetireImageStateMachine: no LoggingConfiguration',
    ]);

    const off = planted();
    const logging = properties(off, 'RetireImageStateMachine').LoggingConfiguration as {
      Level: string;
      Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: unknown } }>;
    };
    logging.Level = 'OFF';
    const destination = logging.Destinations[0];
    if (destination) {
      destination.CloudWatchLogsLogGroup.LogGroupArn = { 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] };
    }
    const role = properties(off, 'RetireImageStateMachineRole') as {
      Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: string[] }> } }>;
    };
    for (const statement of role.Policies[0]?.PolicyDocument.Statement ?? []) {
      statement.Action = statement.Action.filter((action) => action !== 'logs:PutResourcePolicy');
    }
    expect(stateMachinesWithoutLogging(off)).toEqual([
      'RetireImageStateMachine: logging level OFF',
      'RetireImageStateMachine: its log group HttpApiLogGroup is also written by HttpApiStage',
      'RetireImageStateMachine: its role lacks logs:PutResourcePolicy',
    ]);
    expect(LOG_DELIVERY_ACTIONS).toContain('logs:PutResourcePolicy');
  });

  it('a queue whose policy allows plain HTTP, a queue in no policy, a queue in two', () => {
    const allowing = planted();
    const dlqPolicy = properties(allowing, 'ImageDeleteDeadLetterQueuePolicy').PolicyDocument as {
      Statement: Array<{ Condition: { Bool: Record<string, string> } }>;
    };
    const deny = dlqPolicy.Statement[0];
    if (deny) deny.Condition.Bool['aws:SecureTransport'] = 'true';
    expect(queuesWithoutTlsDeny(allowing)).toEqual([
      'ImageDeleteDeadLetterQueue: ImageDeleteDeadLetterQueuePolicy does not deny requests without TLS',
    ]);

    const uncovered = planted();
    delete uncovered.Resources.ImageDeleteDeadLetterQueuePolicy;
    expect(queuesWithoutTlsDeny(uncovered)).toEqual([
      'ImageDeleteDeadLetterQueue: in no queue policy',
    ]);

    const twice = planted();
    twice.Resources.SecondPolicy = {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: { Queues: [{ Ref: 'ImageDeleteQueue' }], PolicyDocument: { Statement: [] } },
    };
    expect(queuesWithoutTlsDeny(twice)).toEqual([
      'ImageDeleteQueue: in 2 queue policies (ImageQueuesEventBridgePolicy,SecondPolicy)',
    ]);

    const otherQueue = planted();
    const shared = properties(otherQueue, 'ImageQueuesEventBridgePolicy').PolicyDocument as {
      Statement: Array<{ Resource: unknown }>;
    };
    const tls = shared.Statement[0];
    if (tls) tls.Resource = [{ 'Fn::GetAtt': ['ImageDeleteQueue', 'Arn'] }];
    expect(queuesWithoutTlsDeny(otherQueue)).toEqual([
      'ImageEventsDeadLetterQueue: ImageQueuesEventBridgePolicy does not deny requests without TLS',
    ]);
  });

  it('a dead-letter queue deleted with the stack, or on replacement', () => {
    const t = planted();
    const events = t.Resources.ImageEventsDeadLetterQueue;
    const deletes = t.Resources.ImageDeleteDeadLetterQueue;
    if (events) delete events.DeletionPolicy;
    if (deletes) deletes.UpdateReplacePolicy = 'Delete';
    expect(deadLetterQueuesNotRetained(t)).toEqual([
      'ImageDeleteDeadLetterQueue: UpdateReplacePolicy is Delete',
      'ImageEventsDeadLetterQueue: DeletionPolicy is Delete (the default)',
    ]);
  });
  it('a customer-key grant that misses a secret reader, reaches a role that reads no secret, or holds for any service', () => {
    const t = planted();
    const policy = properties(t, 'CredentialsSecretKeyPolicy') as {
      Roles: Array<{ Ref: string }>;
      PolicyDocument: { Statement: Array<{ Condition?: unknown }> };
    };
    policy.Roles = [
      ...policy.Roles.filter((role) => role.Ref !== 'SqsDeleteImageRole'),
      { Ref: 'HttpOpenApiRole' },
    ];
    const statement = policy.PolicyDocument.Statement[0];
    if (statement) delete statement.Condition;
    const key = t.Resources.CredentialsSecretKeyPolicy;
    if (key) delete key.Condition;
    expect(credentialsKeyGrantProblems(t)).toEqual([
      'CredentialsSecretKeyPolicy: granted with no key configured too',
      'CredentialsSecretKeyPolicy: SqsDeleteImageRole reads the secret and cannot decrypt it',
      'CredentialsSecretKeyPolicy: HttpOpenApiRole reads no secret and may decrypt',
      'CredentialsSecretKeyPolicy: kms:Decrypt not limited to Secrets Manager (kms:ViaService)',
    ]);
  });

  it('a plans bucket or runs table deleted with the stack, unencrypted, unversioned, public, without point-in-time recovery', () => {
    const t = planted();
    const bucket = t.Resources.PlansBucket;
    if (bucket) delete bucket.DeletionPolicy;
    const plans = properties(t, 'PlansBucket');
    plans.VersioningConfiguration = { Status: 'Suspended' };
    delete plans.BucketEncryption;
    (plans.PublicAccessBlockConfiguration as Record<string, unknown>).RestrictPublicBuckets = false;
    const table = t.Resources.RunsTable;
    if (table) table.UpdateReplacePolicy = 'Delete';
    const runs = properties(t, 'RunsTable');
    delete runs.SSESpecification;
    runs.PointInTimeRecoverySpecification = { PointInTimeRecoveryEnabled: false };
    expect(auditStoreProblems(t, ['PlansBucket', 'RunsTable', 'AuditLog'])).toEqual([
      'PlansBucket: DeletionPolicy is Delete (the default)',
      'PlansBucket: no default encryption',
      'PlansBucket: not versioned',
      'PlansBucket: public access not blocked (RestrictPublicBuckets)',
      'RunsTable: UpdateReplacePolicy is Delete',
      'RunsTable: SSESpecification.SSEEnabled is not true',
      'RunsTable: no point-in-time recovery',
      'AuditLog: not in the template',
    ]);
  });

  it('a bucket whose policy allows plain HTTP to its objects, or that has no policy', () => {
    const bucketOnly = planted();
    const document = properties(bucketOnly, 'PlansBucketPolicy').PolicyDocument as {
      Statement: Array<{ Resource: unknown[] }>;
    };
    const deny = document.Statement[0];
    if (deny) deny.Resource = deny.Resource.slice(0, 1);
    expect(bucketsWithoutTlsDeny(bucketOnly)).toEqual([
      'PlansBucket: no bucket policy denies requests without TLS (bucket and objects)',
    ]);

    const none = planted();
    delete none.Resources.ServerlessDeploymentBucketPolicy;
    expect(bucketsWithoutTlsDeny(none)).toEqual([
      'ServerlessDeploymentBucket: no bucket policy denies requests without TLS (bucket and objects)',
    ]);
  });

  it('a schedule whose role may invoke another function or be assumed by Lambda, that targets another function, without a DLQ, with a flexible window or a wrong identity', () => {
    const t = planted();
    const role = properties(t, 'PolicyScheduleRole') as {
      AssumeRolePolicyDocument: { Statement: Array<{ Principal: { Service: unknown } }> };
      Policies: Array<{ PolicyDocument: { Statement: unknown[] } }>;
    };
    role.Policies[0]?.PolicyDocument.Statement.push({
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: { 'Fn::GetAtt': ['HttpDeleteImageLambdaFunction', 'Arn'] },
    });
    const trust = role.AssumeRolePolicyDocument.Statement[0];
    if (trust) trust.Principal.Service = ['scheduler.amazonaws.com', 'lambda.amazonaws.com'];
    const schedule = properties(t, 'PolicyScheduleNightlyBccCleanup');
    schedule.FlexibleTimeWindow = { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 };
    const target = schedule.Target as Record<string, unknown>;
    delete target.DeadLetterConfig;
    target.Input = JSON.stringify({
      ...readScheduleInput(target.Input),
      identity: 'schedule:someone-else',
    });
    expect(scheduleProblems(t, 'ScheduledPlanLambdaFunction')).toEqual([
      'PolicyScheduleNightlyBccCleanup: FlexibleTimeWindow is not OFF',
      'PolicyScheduleNightlyBccCleanup: no dead-letter queue',
      "PolicyScheduleNightlyBccCleanup: identity is schedule:someone-else, not its role's ARN",
      'PolicyScheduleNightlyBccCleanup: PolicyScheduleRole may be assumed by scheduler.amazonaws.com, lambda.amazonaws.com',
      `PolicyScheduleNightlyBccCleanup: PolicyScheduleRole allows sqs:SendMessage on ${getAtt('PolicySchedulesDeadLetterQueue')}`,
      `PolicyScheduleNightlyBccCleanup: PolicyScheduleRole allows lambda:InvokeFunction on ${getAtt('HttpDeleteImageLambdaFunction')}`,
    ]);

    const elsewhere = planted();
    const otherTarget = properties(elsewhere, 'PolicyScheduleNightlyBccCleanup').Target as Record<
      string,
      unknown
    >;
    otherTarget.Arn = { 'Fn::GetAtt': ['HttpDeleteImageLambdaFunction', 'Arn'] };
    otherTarget.RoleArn = 'arn:aws:iam::123456789012:role/someone-elses';
    expect(scheduleProblems(elsewhere, 'ScheduledPlanLambdaFunction')).toEqual([
      `PolicyScheduleNightlyBccCleanup: targets ${getAtt('HttpDeleteImageLambdaFunction')}, not ScheduledPlanLambdaFunction`,
      'PolicyScheduleNightlyBccCleanup: its role is not a role of this template',
    ]);
  });

  it('an event archive that keeps the events for another time, only some of them, or none at all', () => {
    const expected = {
      bus: 'ImageEventBus',
      source: 'cloud-image-functions',
      retentionDays: RETIREMENT.eventArchiveRetentionDays,
    };
    const t = planted();
    const archive = properties(t, 'ImageEventArchive');
    archive.RetentionDays = 7;
    archive.EventPattern = { source: ['cloud-image-functions'], 'detail-type': ['Image Deleted'] };
    expect(eventArchiveProblems(t, expected)).toEqual([
      'ImageEventArchive: RetentionDays is 7, not 90',
      'ImageEventArchive: archives {"source":["cloud-image-functions"],"detail-type":["Image Deleted"]}, not every event of cloud-image-functions',
    ]);

    const none = planted();
    delete none.Resources.ImageEventArchive;
    expect(eventArchiveProblems(none, expected)).toEqual(['0 archives of ImageEventBus, not 1']);
  });

  it("a consumer told another maximumConcurrency or maxReceiveCount than its mapping's and queue's", () => {
    const t = planted();
    const fn = properties(t, 'SqsDeleteImageLambdaFunction').Environment as {
      Variables: Record<string, string>;
    };
    fn.Variables.SQS_MAX_CONCURRENCY = '5';
    const queue = properties(t, 'ImageDeleteQueue').RedrivePolicy as Record<string, unknown>;
    queue.maxReceiveCount = 3;
    expect(consumerSettingsProblems(t)).toEqual([
      "SqsDeleteImageLambdaFunction: SQS_MAX_CONCURRENCY is 5, the mapping's MaximumConcurrency 7",
      "SqsDeleteImageLambdaFunction: MAX_RECEIVE_COUNT is 6, ImageDeleteQueue's maxReceiveCount 3",
    ]);
  });

  it("the schedules' dead-letter queue deleted with the stack (a schedule's DLQ, a function's async failure destination)", () => {
    const t = planted();
    const dlq = t.Resources.PolicySchedulesDeadLetterQueue;
    if (dlq) delete dlq.DeletionPolicy;
    expect(deadLetterQueuesNotRetained(t)).toEqual([
      'PolicySchedulesDeadLetterQueue: DeletionPolicy is Delete (the default)',
    ]);
    // Also when only the function's failure destination names it.
    for (const [id, resource] of Object.entries(t.Resources)) {
      if (resource.Type === 'AWS::Scheduler::Schedule') delete t.Resources[id];
    }
    expect(deadLetterQueuesNotRetained(t)).toEqual([
      'PolicySchedulesDeadLetterQueue: DeletionPolicy is Delete (the default)',
    ]);
  });

  /** The metrics as lib/runtime/metrics.ts writes them with the default namespace and service. */
  const written: WrittenMetrics = {
    namespace: 'CloudImageFunctions',
    service: 'cloud-image-functions',
    countDimensions: ['service'],
    failureDimensions: ['service', 'provider', 'operation', 'error'],
  };

  it('a dead-letter queue no alarm watches, an alarm on another namespace, with no topic or missing data as an alarm, no credentials alarm', () => {
    // Prepare
    const t = planted();
    delete t.Resources.ImageEventsDeadLetterQueueAlarm;
    properties(t, 'EventsNotPublishedAlarm').Namespace = 'SomethingElse';
    properties(t, 'ImageDeleteDeadLetterQueueAlarm').AlarmActions = [];
    properties(t, 'PolicySchedulesDeadLetterQueueAlarm').TreatMissingData = 'breaching';
    delete t.Resources.UpstreamAuthFailedAlarm;

    // Act and assess
    expect(alarmProblems(template, written)).toEqual([]);
    expect(alarmProblems(t, written)).toEqual([
      'ImageDeleteDeadLetterQueueAlarm: its AlarmActions are not a topic of the stack',
      "PolicySchedulesDeadLetterQueueAlarm: missing data is not 'notBreaching'",
      'ImageEventsDeadLetterQueue: a dead-letter queue no alarm watches',
      'EventsNotPublishedAlarm: not the EventsNotPublished the functions write (namespace, dimensions)',
      `no alarm on the query SELECT SUM(Requests) FROM SCHEMA("CloudImageFunctions", "error", "operation", "provider", "service") WHERE "error" = 'UpstreamAuthFailed' AND "service" = 'cloud-image-functions'`,
    ]);
  });

  it('a credentials alarm whose query leaves the reserved keywords error and operation unquoted', () => {
    // Prepare: the query with its label keys bare. ERROR and OPERATION are Metrics Insights
    // reserved keywords, which must be double-quoted as label keys (CloudWatch User Guide,
    // "Reserved keywords"): PutMetricAlarm refuses the query or it matches nothing.
    const t = planted();
    properties(t, 'UpstreamAuthFailedAlarm').Metrics = [
      {
        Id: 'authFailures',
        Expression: `SELECT SUM(Requests) FROM SCHEMA("CloudImageFunctions", error, operation, provider, service) WHERE error = 'UpstreamAuthFailed' AND service = 'cloud-image-functions'`,
        Period: 300,
        ReturnData: true,
      },
    ];

    // Act
    const problems = alarmProblems(t, written);

    // Assess: before, the check asked for this very query, bare keys and all.
    expect(problems).toEqual([
      `no alarm on the query SELECT SUM(Requests) FROM SCHEMA("CloudImageFunctions", "error", "operation", "provider", "service") WHERE "error" = 'UpstreamAuthFailed' AND "service" = 'cloud-image-functions'`,
    ]);
  });
});
