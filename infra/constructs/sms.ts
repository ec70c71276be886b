// The account's SNS SMS settings the phone alerts depend on. CloudFormation
// has no resource for them, so a custom resource calls SNS SetSMSAttributes on
// every deploy that changes them: Transactional (highest delivery reliability;
// Promotional messages may be dropped or delayed, and Korean carriers filter
// them), the monthly spend limit (SNS stops sending SMS once it is reached),
// and delivery-status logging, so a number that never receives is visible in
// CloudWatch Logs. These are account-wide settings: they apply to every SMS
// the account sends in this region, which the README says.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface SmsSettingsProps {
  /** USD per month; SNS refuses a value above the account's SMS spend quota. */
  monthlySpendLimit: number;
}

/** Successful SMS deliveries logged, in percent (failures are always logged). */
export const SMS_SUCCESS_SAMPLING_PERCENT = 100;

export class SmsSettings extends Construct {
  /** The role SNS assumes to write SMS delivery status to CloudWatch Logs. */
  readonly deliveryStatusRole: iam.Role;
  readonly attributes: Record<string, string>;

  constructor(scope: Construct, id: string, props: SmsSettingsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // SNS writes SMS delivery status to sns/<region>/<account>/DirectPublishToPhoneNumber[/Failure].
    const smsLogGroups = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:sns/${stack.region}/${stack.account}/*`;
    this.deliveryStatusRole = new iam.Role(this, 'DeliveryStatusRole', {
      description: 'SNS: write SMS delivery status to CloudWatch Logs',
      assumedBy: new iam.ServicePrincipal('sns.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      inlinePolicies: {
        SmsDeliveryStatus: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:PutMetricFilter', 'logs:PutRetentionPolicy'],
              resources: [smsLogGroups],
            }),
          ],
        }),
      },
    });
    Validations.of(this.deliveryStatusRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:sns/<AWS::Region>/<AWS::AccountId>/*]',
      reason:
        'SNS names its SMS delivery-status log groups itself (DirectPublishToPhoneNumber and its /Failure group); the grant is limited to the groups SNS uses for this account and region.',
    });

    this.attributes = {
      DefaultSMSType: 'Transactional',
      MonthlySpendLimit: String(props.monthlySpendLimit),
      DeliveryStatusIAMRole: this.deliveryStatusRole.roleArn,
      DeliveryStatusSuccessSamplingRate: String(SMS_SUCCESS_SAMPLING_PERCENT),
    };

    // The custom resource's function gets its own role and log group, so it
    // carries no AWS managed policy (AWSLambdaBasicExecutionRole writes to every log group).
    const logGroup = new logs.LogGroup(this, 'ProviderLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const providerRole = new iam.Role(this, 'ProviderRole', {
      description: 'Custom resource: set the account SMS attributes for the alert topic',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    providerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    providerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['sns:SetSMSAttributes'], resources: ['*'] }),
    );
    // SNS checks that whoever names the delivery-status role may pass it.
    providerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.deliveryStatusRole.roleArn] }),
    );
    Validations.of(providerRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'sns:SetSMSAttributes acts on account-level settings and supports no resource ARN.',
    });

    const resource = new cr.AwsCustomResource(this, 'Attributes', {
      resourceType: 'Custom::SnsSmsAttributes',
      onUpdate: {
        service: 'SNS',
        action: 'setSMSAttributes',
        parameters: { attributes: this.attributes },
        physicalResourceId: cr.PhysicalResourceId.of(`sms-attributes-${stack.region}`),
      },
      // The role is deleted with the stack; leave no dangling reference. The
      // type and spend limit stay as they are (account settings, see README).
      onDelete: {
        service: 'SNS',
        action: 'setSMSAttributes',
        parameters: { attributes: { DeliveryStatusIAMRole: '' } },
        // Never block a destroy on an account setting.
        ignoreErrorCodesMatching: '.*',
      },
      role: providerRole,
      logGroup,
      installLatestAwsSdk: false,
      timeout: Duration.minutes(2),
    });
    resource.node.addDependency(providerRole);
  }
}
