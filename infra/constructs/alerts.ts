// The alert topic (what users subscribe to) and the ops topic (alarms), both
// encrypted with one customer-managed key. SNS decrypts for its own email and
// SMS deliveries; CloudWatch needs the key to publish alarms to the ops topic.
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Severity } from '../../functions/domain/types.ts';

export interface AlertsProps {
  alertEmails: string[];
  alertPhones: string[];
  smsSeverities: Severity[];
  opsEmails: string[];
}

export class Alerts extends Construct {
  readonly key: kms.Key;
  readonly alertTopic: sns.Topic;
  readonly opsTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.key = new kms.Key(this, 'TopicKey', {
      description: 'Kiwoom foreign alerts: SNS topics and the scan state machine log group',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const service of ['sns.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Allow${service.split('.')[0]}`,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
    }

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

    this.opsTopic = new sns.Topic(this, 'OpsTopic', {
      displayName: 'Kiwoom foreign alerts: operations',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.opsEmails) {
      this.opsTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    new CfnOutput(scope, 'AlertTopicArn', {
      value: this.alertTopic.topicArn,
      description: 'Subscribe more endpoints here (email, SMS, SQS, HTTPS)',
    });
    new CfnOutput(scope, 'OpsTopicArn', { value: this.opsTopic.topicArn, description: 'Alarms go here' });
  }
}
