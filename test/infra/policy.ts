// Reading a synthesized template's policies for their meaning: resolve the
// CloudFormation intrinsics to the values an account would see, then decide,
// as IAM does for the subset the stack uses, whether a request is allowed.
// Unknown operators or intrinsics throw, so a test can never pass by not
// understanding a policy.
import type { Template } from 'aws-cdk-lib/assertions';

export const ACCOUNT = '111122223333';
export const REGION = 'ap-northeast-2';
export const PARTITION = 'aws';
export const STACK_NAME = 'KiwoomForeignAlerts';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The physical name or ARN a resource would have, derived from its logical id. */
function physical(resources: Resources, id: string, attribute: 'Ref' | string): string {
  const resource = resources[id];
  if (resource === undefined) throw new Error(`no resource ${id}`);
  const arn = (service: string, rest: string) => `arn:${PARTITION}:${service}:${REGION}:${ACCOUNT}:${rest}`;
  const props = resource.Properties ?? {};
  switch (resource.Type) {
    case 'AWS::SNS::Topic':
      return attribute === 'Ref' || attribute === 'TopicArn' ? arn('sns', id) : id;
    case 'AWS::KMS::Key':
      return attribute === 'Arn' ? arn('kms', `key/${id}`) : id;
    case 'AWS::IAM::Role':
      return attribute === 'Arn' ? `arn:${PARTITION}:iam::${ACCOUNT}:role/${id}` : id;
    case 'AWS::Lambda::Function':
      return attribute === 'Arn' ? arn('lambda', `function:${id}`) : id;
    case 'AWS::DynamoDB::Table':
      return attribute === 'Arn' ? arn('dynamodb', `table/${id}`) : id;
    case 'AWS::SecretsManager::Secret':
      return arn('secretsmanager', `secret:${id}-AbCdEf`);
    case 'AWS::SQS::Queue':
      return attribute === 'Arn' ? arn('sqs', id) : `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
    case 'AWS::Logs::LogGroup': {
      const name = typeof props['LogGroupName'] === 'string' ? props['LogGroupName'] : id;
      return attribute === 'Arn' ? arn('logs', `log-group:${name}:*`) : name;
    }
    case 'AWS::StepFunctions::StateMachine':
      return arn('states', `stateMachine:${id}`);
    case 'AWS::Scheduler::ScheduleGroup':
      return attribute === 'Arn' ? arn('scheduler', `schedule-group/${id}`) : id;
    case 'AWS::CloudWatch::Alarm': {
      const name = typeof props['AlarmName'] === 'string' ? props['AlarmName'] : id;
      return attribute === 'Arn' ? arn('cloudwatch', `alarm:${name}`) : name;
    }
    default:
      return attribute === 'Ref' ? id : `${id}.${attribute}`;
  }
}

const PSEUDO: Record<string, string> = {
  'AWS::AccountId': ACCOUNT,
  'AWS::Region': REGION,
  'AWS::Partition': PARTITION,
  'AWS::StackName': STACK_NAME,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** A template value with every intrinsic the stack uses replaced by its account-side value. */
export function resolve(template: Template, value: unknown): unknown {
  const resources = template.toJSON()['Resources'] as Resources;
  const go = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(go);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
      if (key === 'Ref') return PSEUDO[arg as string] ?? physical(resources, arg as string, 'Ref');
      if (key === 'Fn::GetAtt') {
        const [id, attribute] = arg as [string, string];
        return physical(resources, id, attribute);
      }
      if (key === 'Fn::Join') {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.map((p) => String(go(p))).join(separator);
      }
      if (key === 'Fn::Sub' && typeof arg === 'string') {
        return arg.replace(/\$\{([^}]+)\}/g, (_, name: string) => PSEUDO[name] ?? physical(resources, name, 'Ref'));
      }
      throw new Error(`resolve: unsupported intrinsic ${key}`);
    }
    return Object.fromEntries(entries.map(([k, inner]) => [k, go(inner)]));
  };
  return go(value);
}

export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
  Sid?: string;
}

export interface Request {
  /** A service principal (`cloudwatch.amazonaws.com`) or an AWS principal ARN. */
  principal: { service: string } | { aws: string };
  action: string;
  resource: string;
  /** Condition keys the request carries (aws:SourceAccount, kms:EncryptionContext:…). */
  context?: Record<string, string>;
}

function list<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function wildcard(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, caseInsensitive ? 'i' : '').test(value);
}

function principalMatches(principal: unknown, request: Request['principal']): boolean {
  if (principal === '*') return true;
  if (principal === undefined) return true; // identity policies: the principal is the role
  const p = principal as { Service?: string | string[]; AWS?: string | string[] };
  if ('service' in request) return list(p.Service).includes(request.service);
  return list(p.AWS).some((a) => a === '*' || a === request.aws);
}

const OPERATORS: Record<string, (expected: string, actual: string) => boolean> = {
  StringEquals: (e, a) => e === a,
  StringLike: (e, a) => wildcard(e, a),
  ArnEquals: (e, a) => e === a,
  ArnLike: (e, a) => wildcard(e, a),
  Bool: (e, a) => e === a,
  // A request here carries one value per key (one partition key for an item call).
  'ForAllValues:StringLike': (e, a) => wildcard(e, a),
};

function conditionsHold(condition: PolicyStatement['Condition'], context: Record<string, string>): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    const test = OPERATORS[operator];
    if (test === undefined) throw new Error(`policy: unsupported condition operator ${operator}`);
    for (const [key, expected] of Object.entries(keys)) {
      const actual = context[key];
      // A key the request does not carry fails the condition (no IfExists operators are used).
      if (actual === undefined || !list(expected).some((e) => test(String(e), actual))) return false;
    }
  }
  return true;
}

function applies(statement: PolicyStatement, request: Request): boolean {
  if ('NotAction' in statement || 'NotResource' in statement || 'NotPrincipal' in statement) {
    throw new Error('policy: Not* elements are not supported');
  }
  return (
    principalMatches(statement.Principal, request.principal) &&
    list(statement.Action).some((a) => wildcard(a, request.action, true)) &&
    // Trust policies name no resource: the role itself is the resource.
    (statement.Resource === undefined || list(statement.Resource).some((r) => wildcard(r, request.resource))) &&
    conditionsHold(statement.Condition, request.context ?? {})
  );
}

/** IAM's answer for the statements of one (resolved) policy: an explicit deny wins, else any allow. */
export function allows(statements: PolicyStatement[], request: Request): boolean {
  const matching = statements.filter((s) => applies(s, request));
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}

/** The resolved statements of every AWS::SNS::TopicPolicy that covers the topic. */
export function topicPolicyStatements(template: Template, topicId: string): PolicyStatement[] {
  const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as {
    Properties: { Topics: unknown[]; PolicyDocument: { Statement: PolicyStatement[] } };
  }[];
  return policies
    .filter((p) => p.Properties.Topics.some((t) => JSON.stringify(t) === JSON.stringify({ Ref: topicId })))
    .flatMap((p) => resolve(template, p.Properties.PolicyDocument.Statement) as PolicyStatement[]);
}

/** The resolved statements of a KMS key's policy. */
export function keyPolicyStatements(template: Template, keyId: string): PolicyStatement[] {
  const key = template.toJSON()['Resources'][keyId] as { Properties: { KeyPolicy: { Statement: PolicyStatement[] } } };
  return resolve(template, key.Properties.KeyPolicy.Statement) as PolicyStatement[];
}

/** The resolved trust policy of a role. */
export function trustStatements(template: Template, roleId: string): PolicyStatement[] {
  const role = template.toJSON()['Resources'][roleId] as { Properties: { AssumeRolePolicyDocument: { Statement: PolicyStatement[] } } };
  return resolve(template, role.Properties.AssumeRolePolicyDocument.Statement) as PolicyStatement[];
}

/** Every identity-policy statement attached to a role: inline policies and AWS::IAM::Policy resources. */
export function roleStatements(template: Template, roleId: string): PolicyStatement[] {
  const json = template.toJSON()['Resources'] as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const inline = ((json[roleId]?.Properties['Policies'] ?? []) as { PolicyDocument: { Statement: PolicyStatement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(json)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties['Roles']).includes(`"${roleId}"`))
    .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: PolicyStatement[] }).Statement);
  return resolve(template, [...inline, ...attached]) as PolicyStatement[];
}
