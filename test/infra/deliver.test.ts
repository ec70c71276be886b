// What the chat delivery part of the stack means: who may send to its queue,
// what the function may read, when a record gives up, who hears about it.
import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { buildStack, resourceOf } from './synth.ts';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: unknown; Sid?: string };

let template: Template;
beforeAll(() => {
  template = buildStack().template;
});

function roleStatements(rolePrefix: string): Statement[] {
  const role = resourceOf(template, 'AWS::IAM::Role', rolePrefix);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(`"${role.id}"`))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

describe('delivery queue', () => {
  it('is subscribed to the alert topic with raw message delivery off', () => {
    const topic = resourceOf(template, 'AWS::SNS::Topic', 'AlertsAlertTopic');
    const queue = resourceOf(template, 'AWS::SQS::Queue', 'DeliverQueue');
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: { Ref: topic.id },
      Endpoint: { 'Fn::GetAtt': [queue.id, 'Arn'] },
      RawMessageDelivery: false,
    });
  });

  it('lets only the alert topic send to it, and only over TLS', () => {
    const topic = resourceOf(template, 'AWS::SNS::Topic', 'AlertsAlertTopic');
    const queue = resourceOf(template, 'AWS::SQS::Queue', 'DeliverQueue');
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter((p) =>
      JSON.stringify((p as { Properties: { Queues: unknown } }).Properties.Queues).includes(`"${queue.id}"`),
    ) as { Properties: { PolicyDocument: { Statement: Statement[] } } }[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Principal: { Service: 'sns.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topic.id } } },
      }),
    ]);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('moves a record to its own dead-letter queue after 8 receives, with a visibility timeout of six function timeouts', () => {
    const dlq = resourceOf(template, 'AWS::SQS::Queue', 'DeliverDeadLetterQueue');
    const queue = resourceOf(template, 'AWS::SQS::Queue', 'DeliverQueue');
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq.id, 'Arn'] }, maxReceiveCount: 8 },
    });
    expect(dlq.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
  });
});

describe('deliver function', () => {
  it('reads the queue in batches of 10 and reports partial batch failures', () => {
    const queue = resourceOf(template, 'AWS::SQS::Queue', 'DeliverQueue');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue.id, 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it('runs on arm64 from the shared function construct, outside the VPC, with the history table and a 60 s timeout', () => {
    const fn = resourceOf(template, 'AWS::Lambda::Function', 'DeliverDeliverFunction');
    expect(fn.Properties).toMatchObject({
      Architectures: ['arm64'],
      Timeout: 60,
      Environment: { Variables: expect.objectContaining({ POWERTOOLS_SERVICE_NAME: 'kfa-deliver', HISTORY_TABLE: expect.anything() }) },
    });
    expect(fn.Properties['VpcConfig']).toBeUndefined();
    const variables = (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(variables).not.toHaveProperty('DELIVER_LOCAL_STACK');
  });

  it('may touch only the channel and delivery items of the history table', () => {
    const history = resourceOf(template, 'AWS::DynamoDB::Table', 'TablesHistory');
    const statements = roleStatements('DeliverDeliverFunctionRole');
    const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        Resource: { 'Fn::GetAtt': [history.id, 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['kfa-channels', 'DELIVERY#*'] } },
      }),
    ]);
  });

  it('may read only secrets named kfa/channels/…, never the Kiwoom secrets, and publishes nothing', () => {
    const statements = roleStatements('DeliverDeliverFunctionRole');
    const secrets = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.Action).toBe('secretsmanager:GetSecretValue');
    expect(JSON.stringify(secrets[0]?.Resource)).toMatch(/:secret:kfa\/channels\/\*"\]\]\}$/);
    const text = JSON.stringify(statements);
    for (const id of [resourceOf(template, 'AWS::SecretsManager::Secret', 'TokenAppCredentials').id, resourceOf(template, 'AWS::SecretsManager::Secret', 'Token8').id]) {
      expect(text).not.toContain(id);
    }
    expect(text).not.toContain('sns:Publish');
    expect(statements.flatMap((s) => [s.Resource].flat())).not.toContain('*');
  });
});

describe('delivery alarms to the ops topic', () => {
  it('fire on any new message in the delivery dead-letter queue and on any delivery that failed for good', () => {
    const ops = resourceOf(template, 'AWS::SNS::Topic', 'AlertsOpsTopic');
    const dlq = resourceOf(template, 'AWS::SQS::Queue', 'DeliverDeadLetterQueue');
    const queueMetric = (MetricName: string) =>
      Match.objectLike({
        MetricStat: Match.objectLike({
          Metric: { Namespace: 'AWS/SQS', MetricName, Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq.id, 'QueueName'] } }] },
        }),
      });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([queueMetric('NumberOfMessagesSent'), queueMetric('ApproximateNumberOfMessagesVisible')]),
      Threshold: 1,
      AlarmActions: [{ Ref: ops.id }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeliveryFailedPermanent',
      Namespace: 'KiwoomForeignAlerts',
      Dimensions: [{ Name: 'service', Value: 'kfa-deliver' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: ops.id }],
    });
  });
});
