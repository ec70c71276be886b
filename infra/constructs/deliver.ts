// Chat delivery: an SQS queue subscribed to the alert topic (raw message
// delivery off, so the envelope keeps the message attributes), the deliver
// function reading it in batches with partial-batch failure reporting, a
// dead-letter queue after DELIVER_MAX_RECEIVES attempts, and alarms on that
// queue and on deliveries that failed for good (a Telegram 403). The function
// runs outside the VPC: chat APIs need no fixed IP.
import { Arn, ArnFormat, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHANNEL_SECRET_PREFIX } from '../../functions/deliver/channel.ts';
import { CHANNELS_PARTITION } from '../../functions/deliver/store/channel-store.ts';
import { DELIVERY_PREFIX } from '../../functions/deliver/store/delivery-ledger.ts';
import { alarmNamePrefix } from './alerts.ts';
import type { Tables } from './data.ts';
import { deadLetterArrivals } from './monitoring.ts';
import { METRICS_NAMESPACE, ProjectFunction } from './node-function.ts';

/** The deliver function publishes this (Powertools Metrics) for each (notice, channel) given up for good. */
export const DELIVERY_FAILED_METRIC = 'DeliveryFailedPermanent';
export const DELIVER_SERVICE_NAME = 'kfa-deliver';
/** Receives before a record moves to the dead-letter queue: about 50 minutes of retries at the visibility timeout. */
export const DELIVER_MAX_RECEIVES = 8;
export const DELIVER_TIMEOUT = Duration.seconds(60);

export interface DeliveryPipelineProps {
  tables: Tables;
  alertTopic: sns.ITopic;
  opsTopic: sns.ITopic;
  logLevel: string;
}

export class DeliveryPipeline extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly fn: ProjectFunction;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the chat delivery queue; a person reads it after its alarm and redrives it to the delivery queue, so a further DLQ would have nothing to catch.',
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for Lambda event sources: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(DELIVER_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: DELIVER_MAX_RECEIVES },
    });
    // The subscription adds the queue policy: only this topic (aws:SourceArn) may send.
    props.alertTopic.addSubscription(new subscriptions.SqsSubscription(this.queue, { rawMessageDelivery: false }));

    this.fn = new ProjectFunction(this, 'DeliverFunction', {
      entry: 'functions/handlers/deliver.ts',
      description: 'Delivers alerts to Telegram, Slack, Discord and signed webhooks, once per (alert, channel)',
      serviceName: DELIVER_SERVICE_NAME,
      timeout: DELIVER_TIMEOUT,
      memorySize: 256,
      logLevel: props.logLevel,
      placement: {},
      environment: { HISTORY_TABLE: props.tables.history.tableName },
    });
    this.fn.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        // Two batches at a time: chat APIs limit per bot and per webhook, and order matters to readers.
        maxConcurrency: 2,
      }),
    );
    this.grantDeliverAccess(props, stack);
    this.addAlarms(props);

    new CfnOutput(scope, 'DeliverDeadLetterQueueUrl', {
      value: this.deadLetterQueue.queueUrl,
      description: 'Chat deliveries that kept failing; redrive to the delivery queue after fixing the channel',
    });
  }

  private grantDeliverAccess(props: DeliveryPipelineProps, stack: Stack): void {
    // Only its own items in the History table: it reads the channel partition and claims and
    // updates delivery-ledger entries (UpdateItem, conditional); it never writes a channel.
    this.fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ChannelsAndDeliveryLedger',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        resources: [props.tables.history.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [CHANNELS_PARTITION, `${DELIVERY_PREFIX}*`] } },
      }),
    );
    const secrets = Arn.format(
      { service: 'secretsmanager', resource: 'secret', resourceName: `${CHANNEL_SECRET_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME },
      stack,
    );
    this.fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'ChannelSecrets', actions: ['secretsmanager:GetSecretValue'], resources: [secrets] }));
    Validations.of(this.fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${CHANNEL_SECRET_PREFIX}*]`,
      reason:
        'Channel secrets are created by users (one per channel, named in `kfa channels add`), so no ARN exists at deploy time; the grant is read-only and limited to the kfa/channels/ name prefix.',
    });
  }

  private addAlarms(props: DeliveryPipelineProps): void {
    const notify = new actions.SnsAction(props.opsTopic);
    const alarm = (id: string, options: cloudwatch.AlarmProps) => {
      // Named like every alarm of the stack: the ops topic lets CloudWatch publish for <stack>-* only.
      const created = new cloudwatch.Alarm(this, id, { ...options, alarmName: `${alarmNamePrefix(Stack.of(this))}Deliver${id}` });
      created.addAlarmAction(notify);
      this.alarms.push(created);
    };
    const fiveMinutes = Duration.minutes(5);
    const atLeastOnce = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    } as const;
    // New messages, not messages waiting, so a second failed delivery notifies
    // again while the first still waits; SQS moves them here by redrive, which
    // NumberOfMessagesSent does not count (see deadLetterArrivals).
    alarm('DeadLetterMessages', {
      ...atLeastOnce,
      alarmDescription: `Chat deliveries failed ${DELIVER_MAX_RECEIVES} times and a new one waits in the delivery dead-letter queue (fix the channel, then redrive)`,
      metric: deadLetterArrivals(this.deadLetterQueue),
    });
    alarm('DeliveryFailedPermanent', {
      ...atLeastOnce,
      alarmDescription:
        'A chat channel refused an alert for good (Telegram 403: bot blocked or removed; a webhook gone; a refused target); the deliver logs name the channel',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: DELIVERY_FAILED_METRIC,
        dimensionsMap: { service: DELIVER_SERVICE_NAME },
        period: fiveMinutes,
        statistic: 'Sum',
      }),
    });
  }
}
