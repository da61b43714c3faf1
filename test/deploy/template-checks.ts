// Checks over a CloudFormation template (the JSON `osls package` writes), as pure functions: each
// returns what it found wrong (an empty list when nothing), so that a test can run them on the
// packaged template and on deliberately wrong ones alike.

import { createRequire } from 'node:module';

export type Json = Record<string, unknown>;

/** scripts/policy-schedules.cjs: a schedule target's Input read back (JSON text or Fn::Join). */
export const { readScheduleInput } = createRequire(import.meta.url)(
  '../../scripts/policy-schedules.cjs',
) as { readScheduleInput: (input: unknown) => Json };

export interface Resource {
  Type: string;
  Properties?: Json;
  DependsOn?: unknown;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Condition?: string;
}

export interface Template {
  Resources: Record<string, Resource>;
  Parameters?: Record<string, Json>;
  Outputs?: Record<string, Json>;
  Conditions?: Record<string, unknown>;
}

/**
 * The only actions a role may be granted on `*`: AWS offers no resource-level permission for
 * them, so `*` is the narrowest grant there is. Everything else names its resources.
 */
export const UNSCOPABLE_ACTIONS: Record<string, string> = {
  // Step Functions execution logs (loggingConfig): CloudWatch Logs vended-log delivery is set up
  // by the state machine's role, and these calls take no resource ARN.
  'logs:CreateLogDelivery': 'vended-log delivery (Step Functions logging)',
  'logs:GetLogDelivery': 'vended-log delivery (Step Functions logging)',
  'logs:UpdateLogDelivery': 'vended-log delivery (Step Functions logging)',
  'logs:DeleteLogDelivery': 'vended-log delivery (Step Functions logging)',
  'logs:ListLogDeliveries': 'vended-log delivery (Step Functions logging)',
  'logs:PutResourcePolicy': 'vended-log delivery (Step Functions logging)',
  'logs:DescribeResourcePolicies': 'vended-log delivery (Step Functions logging)',
  'logs:DescribeLogGroups': 'vended-log delivery (Step Functions logging)',
  // X-Ray tracing of the state machine (tracingConfig): X-Ray has no resource-level permissions.
  'xray:PutTraceSegments': 'X-Ray tracing (Step Functions tracing)',
  'xray:PutTelemetryRecords': 'X-Ray tracing (Step Functions tracing)',
  'xray:GetSamplingRules': 'X-Ray tracing (Step Functions tracing)',
  'xray:GetSamplingTargets': 'X-Ray tracing (Step Functions tracing)',
};

export interface Statement {
  /** Where it is: `<LogicalId> <policy name> #<index>`. */
  where: string;
  effect: string;
  actions: string[];
  /** Each resource as written: a string, or the JSON of an intrinsic function. */
  resources: string[];
  notResource: boolean;
}

const list = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const text = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value);

const resourcesOfType = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

const statementsOf = (where: string, document: unknown): Statement[] =>
  list((document as Json | undefined)?.Statement).map((raw, index) => {
    const statement = raw as Json;
    return {
      where: `${where} #${index}`,
      effect: String(statement.Effect),
      actions: list(statement.Action ?? statement.NotAction).map(text),
      resources: list(statement.Resource ?? statement.NotResource).map(text),
      notResource: statement.NotResource !== undefined,
    };
  });

/** Every identity-policy statement: inline role policies, IAM policies and managed policies. */
export const iamStatements = (template: Template): Statement[] => [
  ...resourcesOfType(template, 'AWS::IAM::Role').flatMap(([id, role]) =>
    list(role.Properties?.Policies).flatMap((policy) =>
      statementsOf(`${id} ${text((policy as Json).PolicyName)}`, (policy as Json).PolicyDocument),
    ),
  ),
  ...[
    ...resourcesOfType(template, 'AWS::IAM::Policy'),
    ...resourcesOfType(template, 'AWS::IAM::ManagedPolicy'),
  ].flatMap(([id, policy]) => statementsOf(id, policy.Properties?.PolicyDocument)),
];

/** `*`, or an ARN (or Fn::Sub template) whose resource part is a wildcard. */
export const isWildcardResource = (resource: string): boolean => {
  if (resource.trim() === '*') return true;
  // Inside an intrinsic (JSON text) look at the ARN strings it holds.
  const arns = resource.startsWith('{')
    ? [...resource.matchAll(/"(arn:[^"]*)"/g)].map((m) => m[1] ?? '')
    : [resource];
  return arns.some((arn) => {
    // arn:partition:service:region:account:resource — the resource part may not be `*` alone.
    // Fn::Sub placeholders (`${AWS::Region}`) hold colons of their own: one segment each.
    const parts = arn.replace(/\$\{[^}]*\}/g, 'X').split(':');
    const name = parts.slice(5).join(':');
    return parts.length >= 6 && (name === '*' || name === '' || /(^|[/:])\*$/.test(name));
  });
};

const unscopable = new Set(Object.keys(UNSCOPABLE_ACTIONS).map((action) => action.toLowerCase()));

/**
 * Allow statements that give an action on a wildcard resource (or on everything but some
 * resources, NotResource), naming the actions that are not in UNSCOPABLE_ACTIONS. Wildcard
 * actions (`sqs:*`, `*`) are never unscopable.
 */
export const wildcardGrants = (template: Template): string[] =>
  iamStatements(template)
    .filter((statement) => statement.effect === 'Allow')
    .flatMap((statement) => {
      const wild = statement.notResource
        ? ['NotResource']
        : statement.resources.filter(isWildcardResource);
      if (wild.length === 0) return [];
      const actions = statement.notResource
        ? statement.actions
        : statement.actions.filter((action) => !unscopable.has(action.toLowerCase()));
      return actions.length === 0
        ? []
        : [`${statement.where}: ${actions.join(', ')} on ${wild.join(', ')}`];
    });

/** HTTP API routes (and REST methods) that do not require IAM authorization. */
export const routesWithoutIam = (template: Template): string[] => [
  ...resourcesOfType(template, 'AWS::ApiGatewayV2::Route')
    .filter(([, route]) => route.Properties?.AuthorizationType !== 'AWS_IAM')
    .map(
      ([id, route]) =>
        `${id} (${text(route.Properties?.RouteKey)}): ${text(route.Properties?.AuthorizationType ?? 'NONE')}`,
    ),
  ...resourcesOfType(template, 'AWS::ApiGateway::Method')
    .filter(([, method]) => method.Properties?.AuthorizationType !== 'AWS_IAM')
    .map(([id, method]) => `${id}: ${text(method.Properties?.AuthorizationType ?? 'NONE')}`),
];

/** The logical id a `Fn::GetAtt: [X, Arn]` or `Ref: X` points at. */
const referenced = (value: unknown): string | undefined => {
  const json = value as Json | undefined;
  const getAtt = json?.['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof json?.Ref === 'string') return json.Ref;
  return undefined;
};

export interface FunctionSettings {
  logicalId: string;
  runtime: unknown;
  architectures: unknown;
  memorySize: unknown;
  timeout: unknown;
  environment: Record<string, unknown>;
  handler: unknown;
  /** The logical id of its execution role, when the role is in the template. */
  role: string | undefined;
}

export const lambdaFunctions = (template: Template): FunctionSettings[] =>
  resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, fn]) => {
    const properties = fn.Properties ?? {};
    return {
      logicalId,
      runtime: properties.Runtime,
      architectures: properties.Architectures,
      memorySize: properties.MemorySize,
      timeout: properties.Timeout,
      handler: properties.Handler,
      environment: ((properties.Environment as Json | undefined)?.Variables ?? {}) as Record<
        string,
        unknown
      >,
      role: referenced(properties.Role),
    };
  });

/** Functions that share an execution role, or whose role is not one of the template's. */
export const sharedOrMissingRoles = (template: Template): string[] => {
  const functions = lambdaFunctions(template);
  const problems: string[] = [];
  const byRole = new Map<string, string[]>();
  for (const fn of functions) {
    if (fn.role === undefined || template.Resources[fn.role]?.Type !== 'AWS::IAM::Role') {
      problems.push(`${fn.logicalId}: its role is not a role of this template`);
      continue;
    }
    byRole.set(fn.role, [...(byRole.get(fn.role) ?? []), fn.logicalId]);
  }
  for (const [role, users] of byRole) {
    if (users.length > 1) problems.push(`${role} is shared by ${users.join(', ')}`);
  }
  return problems;
};

export interface Grant {
  action: string;
  resource: string;
}

/** Everything a function's execution role allows, one action-resource pair per entry, sorted. */
export const grantsOf = (template: Template, functionLogicalId: string): Grant[] => {
  const fn = lambdaFunctions(template).find(
    (candidate) => candidate.logicalId === functionLogicalId,
  );
  if (fn?.role === undefined) return [];
  const role = fn.role;
  return iamStatements(template)
    .filter((statement) => statement.where.startsWith(`${role} `) && statement.effect === 'Allow')
    .flatMap((statement) =>
      statement.actions.flatMap((action) =>
        statement.resources.map((resource) => ({ action, resource })),
      ),
    )
    .sort((a, b) => `${a.action} ${a.resource}`.localeCompare(`${b.action} ${b.resource}`));
};

// --- logging ---------------------------------------------------------------------------------------

const logGroupOf = (template: Template, arn: unknown): string | undefined => {
  const id = referenced(arn);
  return id !== undefined && template.Resources[id]?.Type === 'AWS::Logs::LogGroup'
    ? id
    : undefined;
};

/** Log groups that would keep their events forever (no RetentionInDays). */
export const logGroupsWithoutRetention = (template: Template): string[] =>
  resourcesOfType(template, 'AWS::Logs::LogGroup')
    .filter(([, group]) => typeof group.Properties?.RetentionInDays !== 'number')
    .map(([id]) => `${id}: no RetentionInDays`);

/**
 * Functions whose log group is not in the template: Lambda would create `/aws/lambda/<name>` on
 * first use, with no retention and outside the stack.
 */
export const functionsWithoutLogGroup = (template: Template): string[] => {
  const names = new Set(
    resourcesOfType(template, 'AWS::Logs::LogGroup').map(([, group]) =>
      text(group.Properties?.LogGroupName),
    ),
  );
  return resourcesOfType(template, 'AWS::Lambda::Function')
    .filter(([, fn]) => !names.has(`/aws/lambda/${text(fn.Properties?.FunctionName)}`))
    .map(([id, fn]) => `${id}: no log group /aws/lambda/${text(fn.Properties?.FunctionName)}`);
};

/** Log groups written by more than one of: a function, an API stage, a state machine. */
const logGroupWriters = (template: Template): Map<string, string[]> => {
  const writers = new Map<string, string[]>();
  const add = (group: string | undefined, writer: string): void => {
    if (group !== undefined) writers.set(group, [...(writers.get(group) ?? []), writer]);
  };
  for (const [id, stage] of resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')) {
    add(logGroupOf(template, (stage.Properties?.AccessLogSettings as Json)?.DestinationArn), id);
  }
  for (const [id, machine] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
    for (const destination of list(
      (machine.Properties?.LoggingConfiguration as Json | undefined)?.Destinations,
    )) {
      const group = (destination as Json).CloudWatchLogsLogGroup as Json | undefined;
      add(logGroupOf(template, group?.LogGroupArn), id);
    }
  }
  const byName = new Map(
    resourcesOfType(template, 'AWS::Logs::LogGroup').map(([id, group]) => [
      text(group.Properties?.LogGroupName),
      id,
    ]),
  );
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    add(byName.get(`/aws/lambda/${text(fn.Properties?.FunctionName)}`), id);
  }
  return writers;
};

const sharedLogGroup = (template: Template, group: string, writer: string): string[] => {
  const others = (logGroupWriters(template).get(group) ?? []).filter((id) => id !== writer);
  return others.length > 0
    ? [`${writer}: its log group ${group} is also written by ${others}`]
    : [];
};

/**
 * HTTP API stages without access logs: no AccessLogSettings, a destination that is not a log
 * group of this template, a log group shared with something else, or a format that is not one
 * JSON object with the request id, the route and the status.
 */
export const stagesWithoutAccessLogs = (template: Template): string[] =>
  resourcesOfType(template, 'AWS::ApiGatewayV2::Stage').flatMap(([id, stage]) => {
    const settings = stage.Properties?.AccessLogSettings as Json | undefined;
    if (settings === undefined) return [`${id}: no AccessLogSettings`];
    const group = logGroupOf(template, settings.DestinationArn);
    if (group === undefined) return [`${id}: access logs go to no log group of this template`];
    let format: unknown;
    try {
      format = JSON.parse(String(settings.Format));
    } catch {
      return [`${id}: access log format is not JSON`];
    }
    const fields = Object.values((format ?? {}) as Json);
    const missing = ['$context.requestId', '$context.routeKey', '$context.status'].filter(
      (field) => !fields.includes(field),
    );
    return [
      ...sharedLogGroup(template, group, id),
      ...(missing.length > 0 ? [`${id}: access log format lacks ${missing.join(', ')}`] : []),
    ];
  });

/** HTTP API stages whose default route settings set no throttle (rate and burst above 0). */
export const stagesWithoutThrottle = (template: Template): string[] =>
  resourcesOfType(template, 'AWS::ApiGatewayV2::Stage').flatMap(([id, stage]) => {
    const settings = (stage.Properties?.DefaultRouteSettings ?? {}) as Json;
    return (['ThrottlingRateLimit', 'ThrottlingBurstLimit'] as const)
      .filter((name) => !(typeof settings[name] === 'number' && settings[name] > 0))
      .map((name) => `${id}: DefaultRouteSettings.${name} is ${text(settings[name])}`);
  });

/** The log-delivery actions a state machine's role needs to write its execution logs. */
export const LOG_DELIVERY_ACTIONS = Object.keys(UNSCOPABLE_ACTIONS).filter((action) =>
  action.startsWith('logs:'),
);

/**
 * State machines that log nothing to a log group of their own: no LoggingConfiguration, level
 * OFF/FATAL, a destination outside the template or shared, or a role without log delivery.
 */
export const stateMachinesWithoutLogging = (template: Template): string[] =>
  resourcesOfType(template, 'AWS::StepFunctions::StateMachine').flatMap(([id, machine]) => {
    const logging = machine.Properties?.LoggingConfiguration as Json | undefined;
    if (logging === undefined) return [`${id}: no LoggingConfiguration`];
    const problems: string[] = [];
    if (logging.Level !== 'ERROR' && logging.Level !== 'ALL') {
      problems.push(`${id}: logging level ${text(logging.Level)}`);
    }
    const destinations = list(logging.Destinations);
    const groups = destinations.map((destination) =>
      logGroupOf(template, ((destination as Json).CloudWatchLogsLogGroup as Json)?.LogGroupArn),
    );
    if (groups.length === 0 || groups.includes(undefined)) {
      problems.push(`${id}: logs go to no log group of this template`);
    }
    for (const group of groups) {
      if (group !== undefined) problems.push(...sharedLogGroup(template, group, id));
    }
    const role = referenced(machine.Properties?.RoleArn);
    const allowed = new Set(
      iamStatements(template)
        .filter((statement) => statement.where.startsWith(`${role} `))
        .filter((statement) => statement.effect === 'Allow')
        .flatMap((statement) => statement.actions),
    );
    const lacking = LOG_DELIVERY_ACTIONS.filter((action) => !allowed.has(action));
    if (lacking.length > 0) problems.push(`${id}: its role lacks ${lacking.join(', ')}`);
    return problems;
  });

// --- queues ----------------------------------------------------------------------------------------

const isEveryone = (principal: unknown): boolean =>
  principal === '*' || (principal as Json | undefined)?.AWS === '*';

const deniesWithoutTls = (statement: Json, queueArn: string): boolean => {
  const secure = ((statement.Condition as Json | undefined)?.Bool as Json | undefined)?.[
    'aws:SecureTransport'
  ];
  return (
    statement.Effect === 'Deny' &&
    isEveryone(statement.Principal) &&
    list(statement.Action).some((action) => action === 'sqs:*' || action === '*') &&
    list(statement.Resource).some((resource) => resource === '*' || text(resource) === queueArn) &&
    (secure === 'false' || secure === false)
  );
};

/**
 * Queues that accept requests without TLS: not in any queue policy, in more than one (the last
 * one written wins, the other is lost), or whose policy has no Deny for everyone on every SQS
 * action of that queue when aws:SecureTransport is false.
 */
export const queuesWithoutTlsDeny = (template: Template): string[] => {
  const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy');
  return resourcesOfType(template, 'AWS::SQS::Queue').flatMap(([id]) => {
    const covering = policies.filter(([, policy]) =>
      list(policy.Properties?.Queues).some((queue) => referenced(queue) === id),
    );
    if (covering.length === 0) return [`${id}: in no queue policy`];
    if (covering.length > 1) {
      return [`${id}: in ${covering.length} queue policies (${covering.map(([p]) => p)})`];
    }
    const [policyId, policy] = covering[0] as [string, Resource];
    const statements = list((policy.Properties?.PolicyDocument as Json | undefined)?.Statement);
    const arn = JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
    return statements.some((statement) => deniesWithoutTls(statement as Json, arn))
      ? []
      : [`${id}: ${policyId} does not deny requests without TLS`];
  });
};

/**
 * The logical IDs of the template's dead-letter queues: a queue's redrive target, an EventBridge
 * target's or a schedule's DLQ, a Lambda async invocation's failure destination that is a queue.
 */
export const deadLetterQueues = (template: Template): string[] => {
  const dlqs = new Set<string>();
  const add = (arn: unknown): void => {
    const id = referenced(arn);
    if (id !== undefined) dlqs.add(id);
  };
  for (const [, queue] of resourcesOfType(template, 'AWS::SQS::Queue')) {
    add((queue.Properties?.RedrivePolicy as Json | undefined)?.deadLetterTargetArn);
  }
  for (const [, rule] of resourcesOfType(template, 'AWS::Events::Rule')) {
    for (const target of list(rule.Properties?.Targets)) {
      add(((target as Json).DeadLetterConfig as Json | undefined)?.Arn);
    }
  }
  for (const [, schedule] of resourcesOfType(template, 'AWS::Scheduler::Schedule')) {
    add(((schedule.Properties?.Target as Json | undefined)?.DeadLetterConfig as Json)?.Arn);
  }
  // A Lambda async invocation's failure destination, when it is a queue.
  for (const [, config] of resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig')) {
    const failure = (config.Properties?.DestinationConfig as Json | undefined)?.OnFailure as
      | Json
      | undefined;
    const id = referenced(failure?.Destination);
    if (id !== undefined && template.Resources[id]?.Type === 'AWS::SQS::Queue') dlqs.add(id);
  }
  return [...dlqs].sort();
};

/**
 * Dead-letter queues that the stack's removal or a replacement would delete along with the
 * messages they keep.
 */
export const deadLetterQueuesNotRetained = (template: Template): string[] =>
  deadLetterQueues(template).flatMap((id) => {
    const queue = template.Resources[id];
    if (queue === undefined) return [`${id}: a dead-letter queue not in this template`];
    return (['DeletionPolicy', 'UpdateReplacePolicy'] as const)
      .filter((policy) => queue[policy] !== 'Retain')
      .map((policy) => `${id}: ${policy} is ${queue[policy] ?? 'Delete (the default)'}`);
  });

// --- alarms ------------------------------------------------------------------------------------------

/** What the functions' metrics are called, as they write them (lib/runtime/metrics.ts). */
export interface WrittenMetrics {
  namespace: string;
  service: string;
  /** The dimension set of a count outside a request (EventsNotPublished). */
  countDimensions: readonly string[];
  /** The dimension set of a failed request's `Requests` that names its error. */
  failureDimensions: readonly string[];
}

const same = (a: readonly string[], b: readonly string[]): boolean =>
  JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

/**
 * What is wrong with the stack's alarms: each must notify an SNS topic of the stack (and tell it
 * when it is OK again) and treat missing data as no alarm; every dead-letter queue must have one on
 * any message visible; `EventsNotPublished` one on any count, with the namespace and dimensions the
 * functions write; and the credentials one, a Metrics Insights query of failed `Requests` naming
 * `UpstreamAuthFailed`, over the dimension set the functions write for a failure, its label keys
 * quoted.
 */
export const alarmProblems = (template: Template, written: WrittenMetrics): string[] => {
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
  const topics = new Set(resourcesOfType(template, 'AWS::SNS::Topic').map(([id]) => id));
  const problems = alarms.flatMap(([id, alarm]) => {
    const p = alarm.Properties ?? {};
    const found: string[] = [];
    for (const actions of ['AlarmActions', 'OKActions'] as const) {
      const targets = list(p[actions]).map(referenced);
      if (targets.length === 0 || !targets.every((t) => t !== undefined && topics.has(t))) {
        found.push(`${id}: its ${actions} are not a topic of the stack`);
      }
    }
    if (p.TreatMissingData !== 'notBreaching')
      found.push(`${id}: missing data is not 'notBreaching'`);
    if (p.ComparisonOperator !== 'GreaterThanThreshold' || p.Threshold !== 0) {
      found.push(`${id}: does not fire on any count above 0`);
    }
    return found;
  });
  const dimensionsOf = (alarm: Resource) =>
    list(alarm.Properties?.Dimensions).map((d) => d as { Name: string; Value: unknown });
  for (const queue of deadLetterQueues(template)) {
    const watching = alarms.some(([, alarm]) => {
      const p = alarm.Properties ?? {};
      const [dimension, ...others] = dimensionsOf(alarm);
      return (
        p.Namespace === 'AWS/SQS' &&
        p.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        others.length === 0 &&
        dimension?.Name === 'QueueName' &&
        text(dimension.Value) === JSON.stringify({ 'Fn::GetAtt': [queue, 'QueueName'] })
      );
    });
    if (!watching) problems.push(`${queue}: a dead-letter queue no alarm watches`);
  }
  const notPublished = alarms.filter(([, a]) => a.Properties?.MetricName === 'EventsNotPublished');
  if (notPublished.length === 0) problems.push('no alarm on EventsNotPublished');
  for (const [id, alarm] of notPublished) {
    const dimensions = dimensionsOf(alarm);
    if (
      alarm.Properties?.Namespace !== written.namespace ||
      alarm.Properties?.Statistic !== 'Sum' ||
      !same(
        dimensions.map((d) => d.Name),
        written.countDimensions,
      ) ||
      dimensions.find((d) => d.Name === 'service')?.Value !== written.service
    ) {
      problems.push(
        `${id}: not the EventsNotPublished the functions write (namespace, dimensions)`,
      );
    }
  }
  // Every label key double-quoted: ERROR and OPERATION are Metrics Insights reserved keywords, which
  // a query must quote when a label key is one (CloudWatch User Guide, "Reserved keywords").
  const key = (name: string) => `"${name}"`;
  const schema = `SCHEMA("${written.namespace}", ${[...written.failureDimensions].sort().map(key).join(', ')})`;
  const query = `SELECT SUM(Requests) FROM ${schema} WHERE ${key('error')} = 'UpstreamAuthFailed' AND ${key('service')} = '${written.service}'`;
  const authAlarm = alarms.some(([, alarm]) =>
    list(alarm.Properties?.Metrics).some((metric) => (metric as Json).Expression === query),
  );
  if (!authAlarm) problems.push(`no alarm on the query ${query}`);
  return problems;
};

// --- the credentials secret's customer managed key ------------------------------------------------

/**
 * What is wrong with the kms:Decrypt grant for a secret encrypted with a customer managed key:
 * it must reach exactly the roles that read the secret, name the key (not `*`), hold only when
 * Secrets Manager asks (kms:ViaService), and exist only when a key is configured (a Condition).
 */
export const credentialsKeyGrantProblems = (template: Template): string[] => {
  const readers = new Set(
    iamStatements(template)
      .filter((statement) => statement.effect === 'Allow')
      .filter((statement) => statement.actions.includes('secretsmanager:GetSecretValue'))
      .map((statement) => statement.where.split(' ')[0] ?? ''),
  );
  const grants = resourcesOfType(template, 'AWS::IAM::Policy').filter(([, policy]) =>
    list((policy.Properties?.PolicyDocument as Json | undefined)?.Statement).some((statement) =>
      list((statement as Json).Action).includes('kms:Decrypt'),
    ),
  );
  if (grants.length !== 1) return [`${grants.length} policies grant kms:Decrypt, not 1`];
  const [id, policy] = grants[0] as [string, Resource];
  const problems: string[] = [];
  if (policy.Condition === undefined) problems.push(`${id}: granted with no key configured too`);
  const roles = new Set(
    list(policy.Properties?.Roles).map((role) => referenced(role) ?? text(role)),
  );
  for (const reader of readers) {
    if (!roles.has(reader))
      problems.push(`${id}: ${reader} reads the secret and cannot decrypt it`);
  }
  for (const role of roles) {
    if (!readers.has(role)) problems.push(`${id}: ${role} reads no secret and may decrypt`);
  }
  for (const raw of list((policy.Properties?.PolicyDocument as Json | undefined)?.Statement)) {
    const statement = raw as Json;
    if (list(statement.Resource).some((resource) => isWildcardResource(text(resource)))) {
      problems.push(`${id}: kms:Decrypt on a wildcard resource`);
    }
    const viaService = (
      (statement.Condition as Json | undefined)?.StringEquals as Json | undefined
    )?.['kms:ViaService'];
    if (!text(viaService ?? '').includes('secretsmanager.')) {
      problems.push(`${id}: kms:Decrypt not limited to Secrets Manager (kms:ViaService)`);
    }
  }
  return problems;
};

// --- the plans bucket and the runs table: the audit trail ------------------------------------------

const refersTo = (value: unknown, id: string): boolean => {
  const json = JSON.stringify(value);
  return (
    json === JSON.stringify({ Ref: id }) ||
    json === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }) ||
    json.includes(`"Ref":"${id}"`) ||
    json.includes(`\${${id}.Arn}`) ||
    json.includes(`\${${id}}`)
  );
};

/**
 * Buckets that accept requests without TLS: no bucket policy with a Deny for everyone on every
 * S3 action, on the bucket and on its objects, when aws:SecureTransport is false.
 */
export const bucketsWithoutTlsDeny = (template: Template): string[] => {
  const policies = resourcesOfType(template, 'AWS::S3::BucketPolicy');
  return resourcesOfType(template, 'AWS::S3::Bucket').flatMap(([id]) => {
    const statements = policies
      .filter(([, policy]) => referenced(policy.Properties?.Bucket) === id)
      .flatMap(([, policy]) =>
        list((policy.Properties?.PolicyDocument as Json | undefined)?.Statement),
      ) as Json[];
    const denies = statements.some((statement) => {
      const secure = ((statement.Condition as Json | undefined)?.Bool as Json | undefined)?.[
        'aws:SecureTransport'
      ];
      const resources = list(statement.Resource).filter((resource) => refersTo(resource, id));
      return (
        statement.Effect === 'Deny' &&
        isEveryone(statement.Principal) &&
        list(statement.Action).some((action) => action === 's3:*' || action === '*') &&
        resources.some((resource) => !JSON.stringify(resource).includes('/*')) &&
        resources.some((resource) => JSON.stringify(resource).includes('/*')) &&
        (secure === 'false' || secure === false)
      );
    });
    return denies
      ? []
      : [`${id}: no bucket policy denies requests without TLS (bucket and objects)`];
  });
};

/**
 * What is wrong with the stores that hold the audit trail (plans, runs): each must be in the
 * template, kept when the stack is removed or it is replaced (Retain), and encrypted; a bucket
 * also versioned with every public access blocked, a table with point-in-time recovery.
 */
export const auditStoreProblems = (template: Template, ids: readonly string[]): string[] =>
  ids.flatMap((id) => {
    const store = template.Resources[id];
    if (store === undefined) return [`${id}: not in the template`];
    const problems = (['DeletionPolicy', 'UpdateReplacePolicy'] as const)
      .filter((policy) => store[policy] !== 'Retain')
      .map((policy) => `${id}: ${policy} is ${store[policy] ?? 'Delete (the default)'}`);
    const properties = store.Properties ?? {};
    if (store.Type === 'AWS::S3::Bucket') {
      const rules = list(
        (properties.BucketEncryption as Json | undefined)?.ServerSideEncryptionConfiguration,
      );
      const algorithm = ((rules[0] as Json | undefined)?.ServerSideEncryptionByDefault as Json)
        ?.SSEAlgorithm;
      if (algorithm !== 'AES256' && algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') {
        problems.push(`${id}: no default encryption`);
      }
      if ((properties.VersioningConfiguration as Json | undefined)?.Status !== 'Enabled') {
        problems.push(`${id}: not versioned`);
      }
      const block = (properties.PublicAccessBlockConfiguration ?? {}) as Json;
      const open = [
        'BlockPublicAcls',
        'BlockPublicPolicy',
        'IgnorePublicAcls',
        'RestrictPublicBuckets',
      ].filter((setting) => block[setting] !== true);
      if (open.length > 0) problems.push(`${id}: public access not blocked (${open.join(', ')})`);
    } else if (store.Type === 'AWS::DynamoDB::Table') {
      if ((properties.SSESpecification as Json | undefined)?.SSEEnabled !== true) {
        problems.push(`${id}: SSESpecification.SSEEnabled is not true`);
      }
      const recovery = properties.PointInTimeRecoverySpecification as Json | undefined;
      if (recovery?.PointInTimeRecoveryEnabled !== true) {
        problems.push(`${id}: no point-in-time recovery`);
      }
    } else {
      problems.push(`${id}: a ${store.Type}, not a bucket or table`);
    }
    return problems;
  });

// --- the policy schedules --------------------------------------------------------------------------

const trustedServices = (role: Resource | undefined): string[] =>
  list((role?.Properties?.AssumeRolePolicyDocument as Json | undefined)?.Statement).flatMap(
    (statement) => {
      const principal = (statement as Json).Principal as Json | string | undefined;
      if (typeof principal === 'string') return [principal];
      return [
        ...list(principal?.Service).map(text),
        ...list(principal?.AWS).map((aws) => `AWS:${text(aws)}`),
        ...list(principal?.Federated).map((federated) => `Federated:${text(federated)}`),
      ];
    },
  );

/**
 * What is wrong with the EventBridge Scheduler schedules: each must invoke `targetFunction`
 * through a role of this template that only Scheduler may assume and that may do nothing but
 * invoke that one function and send to the schedule's dead-letter queue; with no flexible time
 * window, a retry policy, a dead-letter queue, and as input `{policy, identity}`, the identity
 * being the schedule's own role's ARN (what its plans and runs record).
 */
export const scheduleProblems = (template: Template, targetFunction: string): string[] =>
  resourcesOfType(template, 'AWS::Scheduler::Schedule').flatMap(([id, schedule]) => {
    const properties = schedule.Properties ?? {};
    const target = (properties.Target ?? {}) as Json;
    const problems: string[] = [];
    if (text(target.Arn) !== getAttArn(targetFunction)) {
      problems.push(`${id}: targets ${text(target.Arn)}, not ${targetFunction}`);
    }
    if ((properties.FlexibleTimeWindow as Json | undefined)?.Mode !== 'OFF') {
      problems.push(`${id}: FlexibleTimeWindow is not OFF`);
    }
    if (target.RetryPolicy === undefined) problems.push(`${id}: no RetryPolicy`);
    const dlq = referenced((target.DeadLetterConfig as Json | undefined)?.Arn);
    if (dlq === undefined) problems.push(`${id}: no dead-letter queue`);
    const role = referenced(target.RoleArn);
    try {
      const input = readScheduleInput(target.Input);
      const policy = input.policy as Json | undefined;
      if (policy?.name !== properties.Name || policy?.schedule !== properties.ScheduleExpression) {
        problems.push(`${id}: its input's policy is not the one it is named and scheduled after`);
      }
      if (input.scheduledTime !== '<aws.scheduler.scheduled-time>') {
        problems.push(`${id}: its input does not carry the firing's scheduled time`);
      }
      const identity = JSON.stringify(input.identity);
      if (role !== undefined && identity !== JSON.stringify({ 'Fn::GetAtt': [role, 'Arn'] })) {
        problems.push(
          `${id}: identity is ${typeof input.identity === 'string' ? input.identity : identity}, not its role's ARN`,
        );
      }
    } catch {
      problems.push(`${id}: Input is not JSON`);
    }
    if (role === undefined || template.Resources[role]?.Type !== 'AWS::IAM::Role') {
      return [...problems, `${id}: its role is not a role of this template`];
    }
    const trusted = trustedServices(template.Resources[role]);
    if (trusted.length !== 1 || trusted[0] !== 'scheduler.amazonaws.com') {
      problems.push(`${id}: ${role} may be assumed by ${trusted.join(', ')}`);
    }
    const allowed = new Set([
      `lambda:InvokeFunction ${getAttArn(targetFunction)}`,
      ...(dlq === undefined ? [] : [`sqs:SendMessage ${getAttArn(dlq)}`]),
    ]);
    for (const statement of iamStatements(template)) {
      if (!statement.where.startsWith(`${role} `) || statement.effect !== 'Allow') continue;
      if (statement.notResource) problems.push(`${statement.where}: NotResource`);
      for (const action of statement.actions) {
        for (const resource of statement.resources) {
          if (!allowed.has(`${action} ${resource}`)) {
            problems.push(`${id}: ${role} allows ${action} on ${resource}`);
          }
        }
      }
    }
    return problems;
  });

const getAttArn = (id: string): string => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });

/**
 * What is wrong with the event archive of `bus`: there must be one, archiving every event of
 * `source` (and only those) for `retentionDays`.
 */
export const eventArchiveProblems = (
  template: Template,
  expected: { bus: string; source: string; retentionDays: number },
): string[] => {
  const archives = resourcesOfType(template, 'AWS::Events::Archive').filter(
    ([, archive]) => text(archive.Properties?.SourceArn) === getAttArn(expected.bus),
  );
  if (archives.length !== 1) return [`${archives.length} archives of ${expected.bus}, not 1`];
  const [id, archive] = archives[0] as [string, Resource];
  const problems: string[] = [];
  if (archive.Properties?.RetentionDays !== expected.retentionDays) {
    problems.push(
      `${id}: RetentionDays is ${text(archive.Properties?.RetentionDays)}, not ${expected.retentionDays}`,
    );
  }
  const pattern = (archive.Properties?.EventPattern ?? {}) as Json;
  if (
    JSON.stringify(pattern) !== JSON.stringify({ source: [expected.source] }) &&
    JSON.stringify(pattern) !== JSON.stringify({ source: expected.source })
  ) {
    problems.push(
      `${id}: archives ${JSON.stringify(pattern)}, not every event of ${expected.source}`,
    );
  }
  return problems;
};

// --- the queue consumer ----------------------------------------------------------------------------

/**
 * SQS consumers whose environment disagrees with their event source mapping and queue:
 * SQS_MAX_CONCURRENCY must be the mapping's MaximumConcurrency (each process paces the clouds at
 * that share), and MAX_RECEIVE_COUNT the queue's redrive maxReceiveCount (the last receive).
 */
export const consumerSettingsProblems = (template: Template): string[] =>
  resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').flatMap(([id, mapping]) => {
    const queueId = referenced(mapping.Properties?.EventSourceArn);
    const queue = queueId === undefined ? undefined : template.Resources[queueId];
    if (queue?.Type !== 'AWS::SQS::Queue') return [];
    const fn = lambdaFunctions(template).find(
      (candidate) => candidate.logicalId === referenced(mapping.Properties?.FunctionName),
    );
    if (fn === undefined) return [`${id}: its function is not in the template`];
    const concurrency = (mapping.Properties?.ScalingConfig as Json | undefined)?.MaximumConcurrency;
    const receives = (queue.Properties?.RedrivePolicy as Json | undefined)?.maxReceiveCount;
    const problems: string[] = [];
    if (concurrency === undefined) problems.push(`${id}: no MaximumConcurrency`);
    if (fn.environment.SQS_MAX_CONCURRENCY !== String(concurrency)) {
      problems.push(
        `${fn.logicalId}: SQS_MAX_CONCURRENCY is ${text(fn.environment.SQS_MAX_CONCURRENCY)}, the mapping's MaximumConcurrency ${text(concurrency)}`,
      );
    }
    if (fn.environment.MAX_RECEIVE_COUNT !== String(receives)) {
      problems.push(
        `${fn.logicalId}: MAX_RECEIVE_COUNT is ${text(fn.environment.MAX_RECEIVE_COUNT)}, ${queueId}'s maxReceiveCount ${text(receives)}`,
      );
    }
    return problems;
  });
