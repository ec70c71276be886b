// Who may do what, read from the synthesized policies as IAM would decide it:
// which service may publish to which topic, which principal may use the key,
// who may assume the schedule role, and what the function roles hold.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { buildStack, idOf } from './synth.ts';
import {
  ACCOUNT,
  PARTITION,
  REGION,
  STACK_NAME,
  allows,
  keyPolicyStatements,
  resolve,
  roleStatements,
  topicPolicyStatements,
  trustStatements,
  type PolicyStatement,
} from './policy.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };

function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

function alarmArn(template: Template, alarmId: string): string {
  return resolve(template, { 'Fn::GetAtt': [alarmId, 'Arn'] }) as string;
}

/** Every SNS topic of the template that an alarm notifies, with the alarms that do. */
function alarmTopics(template: Template): Map<string, string[]> {
  const topics = new Map<string, string[]>();
  for (const [alarmId, alarm] of resources(template, 'AWS::CloudWatch::Alarm')) {
    for (const key of ['AlarmActions', 'OKActions', 'InsufficientDataActions']) {
      for (const action of (alarm.Properties[key] ?? []) as unknown[]) {
        const ref = (action as { Ref?: string }).Ref;
        if (ref === undefined) continue; // EC2 actions are ARN strings, not topics
        topics.set(ref, [...(topics.get(ref) ?? []), alarmId]);
      }
    }
  }
  return topics;
}

function keyOfTopic(template: Template, topicId: string): string {
  const topic = template.toJSON()['Resources'][topicId] as Resource;
  return (topic.Properties['KmsMasterKeyId'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

const topicArn = (template: Template, topicId: string) => resolve(template, { Ref: topicId }) as string;

for (const egress of ['nat-gateway', 'nat-instance', 'none']) {
  describe(`policies with egress=${egress}`, () => {
    let template: Template;
    beforeAll(() => {
      template = buildStack({ egress }).template;
    });

    describe('alarms reach the ops topic', () => {
      it('lets CloudWatch publish every alarm of the stack to the topic it notifies, and use the topic key', () => {
        const topics = alarmTopics(template);
        expect(topics.size).toBe(1);
        for (const [topicId, alarms] of topics) {
          const key = keyOfTopic(template, topicId);
          for (const alarmId of alarms) {
            const context = { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': alarmArn(template, alarmId) };
            const cloudwatch = { service: 'cloudwatch.amazonaws.com' };
            expect(
              allows(topicPolicyStatements(template, topicId), { principal: cloudwatch, action: 'sns:Publish', resource: topicArn(template, topicId), context: { ...context, 'aws:SecureTransport': 'true' } }),
              `${alarmId} may publish`,
            ).toBe(true);
            for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
              expect(allows(keyPolicyStatements(template, key), { principal: cloudwatch, action, resource: '*', context }), `${alarmId} ${action}`).toBe(true);
            }
          }
        }
      });

      it('refuses alarms of other stacks and other accounts (no confused deputy)', () => {
        const [[topicId]] = [...alarmTopics(template)] as [[string, string[]]];
        const publish = (sourceAccount: string, alarmName: string) =>
          allows(topicPolicyStatements(template, topicId), {
            principal: { service: 'cloudwatch.amazonaws.com' },
            action: 'sns:Publish',
            resource: topicArn(template, topicId),
            context: {
              'aws:SecureTransport': 'true',
              'aws:SourceAccount': sourceAccount,
              'aws:SourceArn': `arn:${PARTITION}:cloudwatch:${REGION}:${sourceAccount}:alarm:${alarmName}`,
            },
          });
        expect(publish(ACCOUNT, `${STACK_NAME}-ScanRunsFailed`)).toBe(true);
        expect(publish(ACCOUNT, 'SomeoneElses-Alarm')).toBe(false);
        expect(publish('999988887777', `${STACK_NAME}-ScanRunsFailed`)).toBe(false);
      });

      it('lets no AWS service publish to the alert topic (only the scan role, through IAM)', () => {
        const alertTopic = idOf(template, 'AWS::SNS::Topic', 'AlertsAlertTopic');
        for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com', 'sns.amazonaws.com']) {
          expect(
            allows(topicPolicyStatements(template, alertTopic), {
              principal: { service },
              action: 'sns:Publish',
              resource: topicArn(template, alertTopic),
              context: { 'aws:SecureTransport': 'true', 'aws:SourceAccount': ACCOUNT },
            }),
          ).toBe(false);
        }
      });

      it('lets every service that targets a topic publish to it (EventBridge rules included)', () => {
        for (const [, rule] of resources(template, 'AWS::Events::Rule')) {
          for (const target of (rule.Properties['Targets'] ?? []) as { Arn: { Ref?: string } }[]) {
            const topicId = target.Arn.Ref;
            if (topicId === undefined || template.toJSON()['Resources'][topicId]?.Type !== 'AWS::SNS::Topic') continue;
            expect(
              allows(topicPolicyStatements(template, topicId), {
                principal: { service: 'events.amazonaws.com' },
                action: 'sns:Publish',
                resource: topicArn(template, topicId),
                context: { 'aws:SecureTransport': 'true', 'aws:SourceAccount': ACCOUNT },
              }),
            ).toBe(true);
          }
        }
      });
    });

    describe('the key', () => {
      const logsService = { service: `logs.${REGION}.amazonaws.com` };
      const stateMachineLogGroup = `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:/aws/vendedlogs/states/${STACK_NAME}-scan`;

      it('lets CloudWatch Logs encrypt the state machine’s log group, and no other', () => {
        const key = idOf(template, 'AWS::KMS::Key', 'AlertsTopicKey');
        const use = (group: string) =>
          allows(keyPolicyStatements(template, key), {
            principal: logsService,
            action: 'kms:GenerateDataKey',
            resource: '*',
            context: { 'kms:EncryptionContext:aws:logs:arn': group },
          });
        expect(use(stateMachineLogGroup)).toBe(true);
        expect(use(`arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/anything`)).toBe(false);
        expect(use(`${stateMachineLogGroup}-other`)).toBe(false);
      });
    });

    describe('schedule roles', () => {
      it('let only this account’s schedules of the stack’s group assume them', () => {
        const group = idOf(template, 'AWS::Scheduler::ScheduleGroup', 'Schedules');
        const groupArn = resolve(template, { 'Fn::GetAtt': [group, 'Arn'] }) as string;
        const schedulerRoles = resources(template, 'AWS::IAM::Role').filter(([, r]) =>
          JSON.stringify(r.Properties['AssumeRolePolicyDocument']).includes('scheduler.amazonaws.com'),
        );
        expect(schedulerRoles.length).toBeGreaterThanOrEqual(2);
        for (const [roleId] of schedulerRoles) {
          const assume = (context: Record<string, string>) =>
            allows(trustStatements(template, roleId), {
              principal: { service: 'scheduler.amazonaws.com' },
              action: 'sts:AssumeRole',
              resource: roleId,
              context,
            });
          expect(assume({ 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': groupArn }), roleId).toBe(true);
          expect(assume({ 'aws:SourceAccount': '999988887777', 'aws:SourceArn': groupArn }), roleId).toBe(false);
          expect(assume({}), `${roleId} without aws:SourceAccount`).toBe(false);
        }
      });
    });

    describe('roles and logs', () => {
      const WRITE_ANY_LOG = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];
      // AWS managed policies that grant logs writes on every group (AWSLambdaBasicExecutionRole and the VPC role contain it).
      const MANAGED_WITH_LOGS = /AWSLambdaBasicExecutionRole|AWSLambdaVPCAccessExecutionRole|AWSLambdaExecute|CloudWatchLogsFullAccess|AWSLambdaENIManagementAccess/;

      it('attaches no AWS managed policy that grants logs:* on every log group to any role', () => {
        for (const [roleId, role] of resources(template, 'AWS::IAM::Role')) {
          const managed = JSON.stringify(role.Properties['ManagedPolicyArns'] ?? []);
          expect(managed, roleId).not.toMatch(MANAGED_WITH_LOGS);
        }
      });

      it('grants no role log writes on "*"', () => {
        for (const [roleId] of resources(template, 'AWS::IAM::Role')) {
          for (const action of WRITE_ANY_LOG) {
            expect(
              allows(roleStatements(template, roleId), {
                principal: { aws: roleId },
                action,
                resource: `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/someone-elses:log-stream:x`,
              }),
              `${roleId} ${action}`,
            ).toBe(false);
          }
        }
      });

      it('lets the token function use its issuer lock item of the History table, and no other item', () => {
        const roleId = idOf(template, 'AWS::IAM::Role', 'TokenTokenFunctionRole');
        const history = resolve(template, { 'Fn::GetAtt': [idOf(template, 'AWS::DynamoDB::Table', 'TablesHistory'), 'Arn'] }) as string;
        const update = (resource: string, partitionKey: string) =>
          allows(roleStatements(template, roleId), {
            principal: { aws: roleId },
            action: 'dynamodb:UpdateItem',
            resource,
            context: { 'dynamodb:LeadingKeys': partitionKey },
          });
        expect(update(history, 'TOKENLOCK#0123456789abcdef')).toBe(true);
        expect(update(history, 'SNAP#005930')).toBe(false);
        expect(update(history, 'ALERT#005930')).toBe(false);
      });

      it('lets each function write its own log group', () => {
        for (const prefix of ['ScanScanFunction', 'TokenTokenFunction']) {
          const roleId = idOf(template, 'AWS::IAM::Role', `${prefix}Role`);
          const group = resolve(template, { 'Fn::GetAtt': [idOf(template, 'AWS::Logs::LogGroup', `${prefix}Logs`), 'Arn'] }) as string;
          expect(allows(roleStatements(template, roleId), { principal: { aws: roleId }, action: 'logs:PutLogEvents', resource: group })).toBe(true);
        }
      });
    });
  });
}

describe('SMS settings', () => {
  let template: Template;
  beforeAll(() => {
    template = buildStack({ egress: 'none' }).template;
  });

  it('let SNS of this account, and nothing else, assume the delivery-status role', () => {
    const role = idOf(template, 'AWS::IAM::Role', 'AlertsSmsSettingsDeliveryStatusRole');
    const assume = (account: string) =>
      allows(trustStatements(template, role), {
        principal: { service: 'sns.amazonaws.com' },
        action: 'sts:AssumeRole',
        resource: role,
        context: { 'aws:SourceAccount': account },
      });
    expect([assume(ACCOUNT), assume('999988887777')]).toEqual([true, false]);
  });

  it('let the custom resource pass exactly the delivery-status role, and set SMS attributes', () => {
    const provider = idOf(template, 'AWS::IAM::Role', 'AlertsSmsSettingsProviderRole');
    const delivery = idOf(template, 'AWS::IAM::Role', 'AlertsSmsSettingsDeliveryStatusRole');
    const statements: PolicyStatement[] = roleStatements(template, provider);
    const deliveryArn = resolve(template, { 'Fn::GetAtt': [delivery, 'Arn'] }) as string;
    const may = (action: string, resource: string) => allows(statements, { principal: { aws: provider }, action, resource });
    expect(may('iam:PassRole', deliveryArn)).toBe(true);
    expect(may('iam:PassRole', `arn:${PARTITION}:iam::${ACCOUNT}:role/Admin`)).toBe(false);
    expect(may('sns:SetSMSAttributes', '*')).toBe(true);
    expect(may('sns:Publish', '*')).toBe(false);
  });
});
