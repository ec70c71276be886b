// The alert topic (what users subscribe to) and the ops topic (alarms), both
// encrypted with one customer-managed key. SNS decrypts for its own email and
// SMS deliveries; CloudWatch needs the key, and the ops topic's policy, to
// publish this stack's alarms (a TopicPolicy replaces SNS's default policy, so
// nothing is allowed that it does not say).
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Severity } from '../../functions/domain/types.ts';
import { SmsSettings } from './sms.ts';

/** Every alarm of the stack is named `<stack name>-<id>`, which is what the ops topic lets CloudWatch publish for. */
export function alarmNamePrefix(stack: Stack): string {
  return `${stack.stackName}-`;
}

/** The ARNs of this stack's alarms, as CloudWatch names them in aws:SourceArn. */
export function alarmArnPattern(stack: Stack): string {
  return `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${alarmNamePrefix(stack)}*`;
}

export interface AlertsProps {
  alertEmails: string[];
  alertPhones: string[];
  smsSeverities: Severity[];
  smsMonthlySpendLimit: number;
  opsEmails: string[];
}

export class Alerts extends Construct {
  readonly key: kms.Key;
  readonly alertTopic: sns.Topic;
  readonly opsTopic: sns.Topic;
  /** Set only when some alert goes to a phone: they are account-wide. */
  readonly sms?: SmsSettings;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.key = new kms.Key(this, 'TopicKey', {
      description: 'Kiwoom foreign alerts: SNS topics and the scan state machine log group',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const thisAccount = { 'aws:SourceAccount': stack.account };
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSnsDeliveries',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: thisAccount },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisStacksAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: thisAccount, ArnLike: { 'aws:SourceArn': alarmArnPattern(stack) } },
      }),
    );

    this.alertTopic = new sns.Topic(this, 'AlertTopic', {
      displayName: 'Kiwoom foreign alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.alertEmails) {
      this.alertTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    for (const phone of props.alertPhones) {
      // SMS costs money per message: only the chosen severities reach phones.
      this.alertTopic.addSubscription(
        new subscriptions.SmsSubscription(phone, {
          filterPolicy: {
            severity: sns.SubscriptionFilter.stringFilter({ allowlist: props.smsSeverities }),
          },
        }),
      );
    }

    if (props.alertPhones.length > 0) {
      this.sms = new SmsSettings(this, 'SmsSettings', { monthlySpendLimit: props.smsMonthlySpendLimit });
    }

    this.opsTopic = new sns.Topic(this, 'OpsTopic', {
      displayName: 'Kiwoom foreign alerts: operations',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.opsEmails) {
      this.opsTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.opsTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisStacksAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.opsTopic.topicArn],
        conditions: { StringEquals: thisAccount, ArnLike: { 'aws:SourceArn': alarmArnPattern(stack) } },
      }),
    );

    new CfnOutput(scope, 'AlertTopicArn', {
      value: this.alertTopic.topicArn,
      description: 'Subscribe more endpoints here (email, SMS, SQS, HTTPS)',
    });
    new CfnOutput(scope, 'OpsTopicArn', { value: this.opsTopic.topicArn, description: 'Alarms go here' });
  }
}
