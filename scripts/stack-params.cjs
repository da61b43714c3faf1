// Deployment parameters that osls must check before it packages or deploys anything, resolved
// from serverless.yml as `${file(./scripts/stack-params.cjs):<name>}`. osls calls each exported
// function with its variable resolver; what the function returns becomes the value, and what it
// throws stops the command before any bundle is built or any AWS call is made.
//
// CommonJS because osls loads `${file(...)}` JavaScript with require().

'use strict';

const { importProjectModule, stackError } = require('./resolver-support.cjs');

/** The stage that runs only on this machine (`npm start`, `npm run invoke`); never deployed. */
const LOCAL_STAGE = 'local';

/** Commands that run the functions on this machine, where no stack resource exists. */
const LOCAL_COMMANDS = ['offline', 'invoke local'];

/** Commands that produce or ship a template: the ones a missing secret must stop. */
const SHIPPING_COMMANDS = ['package', 'deploy'];

/**
 * The osls command in an argv (`osls deploy function -f x` -> `deploy function`): every argument
 * before the first option, the way osls itself reads its command line.
 */
const commandOf = (argv) => {
  const args = argv.slice(2);
  const firstOption = args.findIndex((arg) => arg.startsWith('-'));
  return args.slice(0, firstOption === -1 ? args.length : firstOption).join(' ');
};

/**
 * What is wrong with packaging or deploying `stage` with this secret id, or undefined when
 * nothing is. Without a secret every deployed call answers 500 (ConfigurationError): only the
 * local stage, which runs on this machine with credentials from the environment, goes without.
 */
const credentialsSecretProblem = ({ command, stage, secretId, secretArn, service }) => {
  const shipping = SHIPPING_COMMANDS.some(
    (name) => command === name || command.startsWith(`${name} `),
  );
  if (!shipping) return undefined;
  if (stage === LOCAL_STAGE && command.startsWith('deploy')) {
    return (
      `The "${LOCAL_STAGE}" stage runs on this machine only (npm start) and is never deployed: ` +
      'name a stage, e.g. `--stage prod --param imageCredentialsSecretId=cloud-image-functions/prod`.'
    );
  }
  if (stage !== LOCAL_STAGE && String(secretId ?? '').trim() === '') {
    return (
      `Stage "${stage}" has no credentials secret: pass ` +
      '`--param imageCredentialsSecretId=<secret name or ARN>` (or set IMAGE_CREDENTIALS_SECRET_ID). ' +
      'Without it every call of the deployed functions would fail with ConfigurationError (500). ' +
      `Only the "${LOCAL_STAGE}" stage (npm start) runs without one.`
    );
  }
  // The default grant is the secret named <service>/<stage>: another secret would package and
  // deploy, then every call would answer ConfigurationError (access denied).
  const defaultName = `${service}/${stage}`;
  if (
    stage !== LOCAL_STAGE &&
    service !== undefined &&
    String(secretArn ?? '').endsWith(`:secret:${defaultName}-??????`)
  ) {
    const id = String(secretId).trim();
    // A name, or an ARN (full: the name, a dash and 6 random characters; partial: the name alone).
    const name = id.startsWith('arn:') ? id.split(':').slice(6).join(':') : id;
    const readable =
      name === defaultName ||
      (id.startsWith('arn:') &&
        name.length === defaultName.length + 7 &&
        name.startsWith(`${defaultName}-`));
    if (!readable) {
      return (
        `The functions may read only the secret named ${defaultName} (the default grant), and ` +
        `imageCredentialsSecretId names another: pass \`--param imageCredentialsSecretArn=<its ARN>\` ` +
        '(or set IMAGE_CREDENTIALS_SECRET_ARN) as well, or name the secret ' +
        `${defaultName}.`
      );
    }
  }
  return undefined;
};

/** A positive whole number from a stage parameter (`--param name=value` arrives as text). */
const positiveInteger = (name, value) => {
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isSafeInteger(number) || number < 1) {
    throw stackError(
      `Parameter ${name} must be a whole number of at least 1, not ${JSON.stringify(value)}.`,
    );
  }
  return number;
};

/** A positive number (fractions allowed) from a stage parameter. */
const positiveNumber = (name, value) => {
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(number) || number <= 0 || String(value).trim() === '') {
    throw stackError(`Parameter ${name} must be a number above 0, not ${JSON.stringify(value)}.`);
  }
  return number;
};

/** A whole number from `min` to `max` from a stage parameter. */
const integerBetween = (name, value, min, max) => {
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (
    !Number.isSafeInteger(number) ||
    number < min ||
    number > max ||
    String(value).trim() === ''
  ) {
    throw stackError(
      `Parameter ${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}.`,
    );
  }
  return number;
};

/**
 * True when the functions run on this machine (the local stage, serverless-offline, invoke
 * local): there the stack's bucket, table, bus and queue do not exist, and a CloudFormation Ref
 * would reach the handler as the text "[object Object]".
 */
const runsLocally = ({ command, stage }) =>
  stage === LOCAL_STAGE ||
  LOCAL_COMMANDS.some((name) => command === name || command.startsWith(`${name} `));

/** A stack resource's Ref for the deployed functions' environment; '' where they run locally. */
const stackReference =
  (logicalId) =>
  async ({ resolveVariable }) =>
    runsLocally({ command: commandOf(process.argv), stage: await resolveVariable('sls:stage') })
      ? ''
      : { Ref: logicalId };

/**
 * UPSTREAM_RATE_LIMITS as the functions will read it, checked by their own parser
 * (lib/config/retirement-config.ts), so that a typo stops packaging instead of every delete.
 */
const upstreamRateLimitsProblem = async (value) => {
  const { processRateLimits } = await importProjectModule('lib/config/retirement-config.ts');
  try {
    processRateLimits({ UPSTREAM_RATE_LIMITS: String(value ?? '') });
    return undefined;
  } catch (error) {
    const detail = String(error?.message ?? error).replace(/^invalid configuration: /, '');
    return `Parameter upstreamRateLimits is not valid: ${detail}.`;
  }
};

const queueMaximumConcurrency = async ({ resolveVariable }) =>
  // SQS event source mappings accept 2 to 1000.
  integerBetween(
    'queueMaximumConcurrency',
    await resolveVariable('param:queueMaximumConcurrency'),
    2,
    1000,
  );

const deleteQueueMaxReceiveCount = async ({ resolveVariable }) =>
  // SQS redrive policies accept 1 to 1000.
  integerBetween(
    'deleteQueueMaxReceiveCount',
    await resolveVariable('param:deleteQueueMaxReceiveCount'),
    1,
    1000,
  );

module.exports = {
  LOCAL_STAGE,
  commandOf,
  credentialsSecretProblem,
  integerBetween,
  positiveInteger,
  positiveNumber,
  runsLocally,
  upstreamRateLimitsProblem,

  /** `param:imageCredentialsSecretId`, refused where the stack would have no credentials. */
  imageCredentialsSecretId: async ({ resolveVariable }) => {
    const stage = await resolveVariable('sls:stage');
    const secretId = await resolveVariable('param:imageCredentialsSecretId');
    const problem = credentialsSecretProblem({
      command: commandOf(process.argv),
      stage,
      secretId,
      secretArn: await resolveVariable('param:imageCredentialsSecretArn'),
      service: await resolveVariable('self:service'),
    });
    if (problem !== undefined) throw stackError(problem);
    return secretId;
  },

  httpApiThrottlingBurstLimit: async ({ resolveVariable }) =>
    positiveInteger(
      'httpApiThrottlingBurstLimit',
      await resolveVariable('param:httpApiThrottlingBurstLimit'),
    ),

  httpApiThrottlingRateLimit: async ({ resolveVariable }) =>
    positiveNumber(
      'httpApiThrottlingRateLimit',
      await resolveVariable('param:httpApiThrottlingRateLimit'),
    ),

  /** The delete queue's event source mapping (a number), and SQS_MAX_CONCURRENCY (its text). */
  queueMaximumConcurrency,
  queueMaximumConcurrencyEnv: async (context) => String(await queueMaximumConcurrency(context)),

  /** The delete queue's redrive maxReceiveCount (a number), and MAX_RECEIVE_COUNT (its text). */
  deleteQueueMaxReceiveCount,
  deleteQueueMaxReceiveCountEnv: async (context) =>
    String(await deleteQueueMaxReceiveCount(context)),

  /** The event archive's RetentionDays: 0 keeps the events for ever. */
  eventArchiveRetentionDays: async ({ resolveVariable }) =>
    integerBetween(
      'eventArchiveRetentionDays',
      await resolveVariable('param:eventArchiveRetentionDays'),
      0,
      36_500,
    ),

  upstreamRateLimits: async ({ resolveVariable }) => {
    const value = String((await resolveVariable('param:upstreamRateLimits')) ?? '').trim();
    const problem = await upstreamRateLimitsProblem(value);
    if (problem !== undefined) throw stackError(problem);
    return value;
  },

  /** PLANS_BUCKET, RUNS_TABLE, EVENT_BUS_NAME, DELETE_QUEUE_URL of the deployed functions. */
  plansBucket: stackReference('PlansBucket'),
  runsTable: stackReference('RunsTable'),
  eventBusName: stackReference('ImageEventBus'),
  deleteQueueUrl: stackReference('ImageDeleteQueue'),
};
