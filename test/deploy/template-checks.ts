// Checks over a CloudFormation template (the JSON `osls package` writes), as pure functions: each
// returns what it found wrong (an empty list when nothing), so that a test can run them on the
// packaged template and on deliberately wrong ones alike.

export type Json = Record<string, unknown>;

export interface Template {
  Resources: Record<string, { Type: string; Properties?: Json; DependsOn?: unknown }>;
}

/** IAM actions whose grants must name their resources: never `*`. */
export const SCOPED_SERVICES = ['secretsmanager', 'sqs', 'states', 'events'] as const;

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

/** Does `action` (possibly a wildcard like `sqs:*` or `*`) cover any action of `service`? */
const touches = (action: string, service: string): boolean => {
  const lower = action.toLowerCase();
  return lower === '*' || lower.startsWith(`${service}:`);
};

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

/**
 * Allow statements that give a Secrets Manager, SQS, Step Functions or EventBridge action on a
 * wildcard resource (or on everything but some resources, NotResource).
 */
export const wildcardGrants = (template: Template): string[] =>
  iamStatements(template)
    .filter((statement) => statement.effect === 'Allow')
    .flatMap((statement) => {
      const services = SCOPED_SERVICES.filter((service) =>
        statement.actions.some((action) => touches(action, service)),
      );
      if (services.length === 0) return [];
      const wild = statement.notResource
        ? ['NotResource']
        : statement.resources.filter(isWildcardResource);
      return wild.length === 0
        ? []
        : [`${statement.where}: ${statement.actions.join(', ')} on ${wild.join(', ')}`];
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
