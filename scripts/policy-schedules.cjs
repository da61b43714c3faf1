// The retirement policies kept in the repository (policies/*.yml, *.yaml, *.json) deploy with the
// stack: serverless.yml resolves `${file(./scripts/policy-schedules.cjs):resources}` when osls
// packages (or deploys, prints, starts offline), and this reads every policy file, checks it with
// the functions' own policy schema (lib/retirement/policy.ts), and turns each policy with a
// `schedule` into an EventBridge Scheduler schedule that invokes scheduledPlan with
// {"policy": <the policy>, "identity": <the schedules' role ARN>, "scheduledTime": <the firing's>}. One invalid file stops the command
// with a message naming the file and the field, before anything is built.
//
// Rules beyond the schema: a file is named after its policy (`nightly.yml` holds `name: nightly`),
// so names are unique and a schedule is found from its file and back; other files in the folder
// (a README) are ignored.
//
// CommonJS because osls loads `${file(...)}` JavaScript with require().

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { ROOT, importProjectModule, stackError } = require('./resolver-support.cjs');

/** serverless.yml's default folder (param policiesDir); missing, it simply holds no policy. */
const DEFAULT_POLICIES_DIR = 'policies';

const FORMATS = { '.yml': 'yaml', '.yaml': 'yaml', '.json': 'json' };

/** Names of the stack's own resources the schedules use (serverless.yml). */
const STACK = {
  target: 'ScheduledPlanLambdaFunction',
  role: 'PolicyScheduleRole',
  group: 'PolicyScheduleGroup',
  deadLetterQueue: 'PolicySchedulesDeadLetterQueue',
};

/**
 * How long and how often Scheduler keeps trying to invoke scheduledPlan when the invocation
 * itself fails (throttling, the function missing): within the hour of the schedule, then the DLQ.
 */
const RETRY_POLICY = { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 185 };

/** The logical id of a policy's schedule: `PolicySchedule` + its name in PascalCase. */
const logicalIdOf = (name) =>
  `PolicySchedule${name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}`;

/** The policy files of a folder, sorted by name: `{ file, format }` (file: the base name). */
const policyFiles = (dir) =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && FORMATS[path.extname(entry.name).toLowerCase()])
    .map((entry) => ({
      file: entry.name,
      format: FORMATS[path.extname(entry.name).toLowerCase()],
    }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));

/**
 * Every policy of `dir`, checked: `[{ file, policy }]` (file as `shown/<name>`, policy as the
 * schema parsed it), or one error listing every problem of every file. `parsePolicyText` is
 * lib/retirement/policy.ts's. A missing folder holds no policy unless `required`.
 */
const readPolicies = ({ dir, shown, parsePolicyText, required = false }) => {
  if (!fs.existsSync(dir)) {
    if (!required) return [];
    throw stackError(`The policies folder ${shown} does not exist (parameter policiesDir).`);
  }
  const problems = [];
  const policies = [];
  for (const { file, format } of policyFiles(dir)) {
    const where = `${shown}/${file}`;
    let policy;
    try {
      policy = parsePolicyText(fs.readFileSync(path.join(dir, file), 'utf8'), format);
    } catch (error) {
      if (error?.name !== 'InvalidRequest') throw error;
      problems.push(`${where}: ${error.message}`);
      continue;
    }
    const stem = path.basename(file, path.extname(file));
    if (policy.name !== stem) {
      problems.push(
        `${where}: name: is "${policy.name}", but a policy file is named after its policy ` +
          `(rename the file to ${policy.name}${path.extname(file)}, or the policy to ${stem})`,
      );
      continue;
    }
    policies.push({ file: where, policy });
  }
  const seen = new Map();
  for (const { file, policy } of policies) {
    const id = logicalIdOf(policy.name);
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      problems.push(
        earlier.policy.name === policy.name
          ? `${file}: name: "${policy.name}" is also the name of ${earlier.file}`
          : `${file}: name: "${policy.name}" and "${earlier.policy.name}" (${earlier.file}) ` +
              `differ only in punctuation, and would share the schedule ${id}`,
      );
      continue;
    }
    seen.set(id, { file, policy });
  }
  if (problems.length > 0) {
    throw stackError(
      `Invalid retirement ${problems.length === 1 ? 'policy' : 'policies'} in ${shown} ` +
        `(nothing was packaged; fix or remove the file):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return policies;
};

const ROLE_MARK = '@@schedule-role-arn@@';

/**
 * What scheduledPlan receives from a policy's schedule: the policy, and as the identity its plans
 * and runs record, the schedule's role (its ARN, which only the stack knows: joined into the JSON
 * text with Fn::Join, which unlike Fn::Sub leaves a policy's own `${...}` alone).
 */
/**
 * Scheduler writes the firing's scheduled time here (a context attribute): the same for every
 * delivery and retry of one firing, so the function can plan and apply each firing once.
 */
const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

const scheduleInput = (policy) => {
  const parts = JSON.stringify({
    policy,
    identity: ROLE_MARK,
    scheduledTime: SCHEDULED_TIME,
  }).split(ROLE_MARK);
  if (parts.length !== 2) throw stackError(`policy ${policy.name}: contains ${ROLE_MARK}`);
  return { 'Fn::Join': ['', [parts[0], { 'Fn::GetAtt': [STACK.role, 'Arn'] }, parts[1]]] };
};

/**
 * A schedule target's Input read back: `{policy, identity, scheduledTime}`, the identity as the
 * template has it.
 */
const readScheduleInput = (input) => {
  if (typeof input === 'string') return JSON.parse(input);
  const parts = input?.['Fn::Join']?.[1];
  if (input?.['Fn::Join']?.[0] !== '' || !Array.isArray(parts) || parts.length !== 3) {
    throw new Error('Input is neither JSON text nor the JSON joined around one value');
  }
  const parsed = JSON.parse(`${parts[0]}${ROLE_MARK}${parts[2]}`);
  return parsed.identity === ROLE_MARK ? { ...parsed, identity: parts[1] } : parsed;
};

/** One AWS::Scheduler::Schedule per policy with a schedule: `{ Resources: { ... } }`. */
const scheduleResources = (policies) => {
  const resources = {};
  for (const { file, policy } of policies) {
    if (policy.schedule === undefined) continue;
    resources[logicalIdOf(policy.name)] = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: policy.name,
        GroupName: { Ref: STACK.group },
        // Scheduler allows 512 characters.
        Description:
          `Plans the retirement policy ${policy.name} (${file}), apply ${policy.apply}`.slice(
            0,
            512,
          ),
        ScheduleExpression: policy.schedule,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [STACK.target, 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [STACK.role, 'Arn'] },
          Input: scheduleInput(policy),
          RetryPolicy: { ...RETRY_POLICY },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [STACK.deadLetterQueue, 'Arn'] } },
        },
      },
    };
  }
  return { Resources: resources };
};

/** The folder as a message shows it: relative to the repository when inside it. */
const shownPath = (dir) => {
  const relative = path.relative(ROOT, dir);
  return relative === '' ? '.' : relative.startsWith('..') ? dir : relative;
};

module.exports = {
  DEFAULT_POLICIES_DIR,
  RETRY_POLICY,
  SCHEDULED_TIME,
  STACK,
  logicalIdOf,
  readPolicies,
  readScheduleInput,
  scheduleInput,
  scheduleResources,

  /** serverless.yml: `- ${file(./scripts/policy-schedules.cjs):resources}` under `resources`. */
  resources: async ({ resolveVariable }) => {
    const configured = String((await resolveVariable('param:policiesDir')) ?? '').trim();
    const dir = path.resolve(ROOT, configured === '' ? DEFAULT_POLICIES_DIR : configured);
    const { parsePolicyText } = await importProjectModule('lib/retirement/policy-text.ts');
    const policies = readPolicies({
      dir,
      shown: shownPath(dir),
      parsePolicyText,
      required: dir !== path.resolve(ROOT, DEFAULT_POLICIES_DIR),
    });
    return scheduleResources(policies);
  },
};
