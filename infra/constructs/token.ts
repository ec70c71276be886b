// The Kiwoom secrets and the one token issuer. The app credentials never
// pass through settings, the template or a log: the stack creates the secret
// with a placeholder (or uses one a destroyed deployment retained) and the
// user puts the real values (README, "Put the Kiwoom app credentials"). The
// token function is scheduled so a token with hours to spare exists before
// every scan; the scan asks it to renew after an 8005.
import { CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { APP_KEY_PLACEHOLDER } from '../../functions/kiwoom/secrets-token-source.ts';
import { TOKEN_LOCK_PREFIX } from '../../functions/kiwoom/token-lock.ts';
import type { ScanTime } from '../settings.ts';
import { ProjectFunction, type FunctionPlacement } from './node-function.ts';

export interface TokenIssuerProps {
  placement: FunctionPlacement;
  scheduleGroup: scheduler.IScheduleGroup;
  /** The app credentials secret a destroyed deployment retained: its name or complete ARN. */
  reuseAppSecret?: string;
  kiwoomBaseUrl: string;
  logLevel: string;
  scanTime: ScanTime;
  deadLetterQueue: sqs.IQueue;
  /** Holds the issuer lock item, so two token runs never issue at once. */
  historyTable: dynamodb.ITable;
}

/** Enough for a long scan: 18:30 start plus several hours of paging at 1 call/s. */
export const PRE_SCAN_MIN_VALID_MINUTES = 360;
/** The hourly check renews when fewer than this many minutes are left. */
export const HOURLY_MIN_VALID_MINUTES = 120;

export class TokenIssuer extends Construct {
  readonly appSecret: secretsmanager.ISecret;
  /** What the token function passes as SecretId: the ARN, or the name of a secret reused by name. */
  readonly appSecretId: string;
  /** What IAM grants on: the ARN, or `<name>-??????` for a secret reused by name (its ARN ends in a random suffix). */
  readonly appSecretPolicyArn: string;
  readonly tokenSecret: secretsmanager.Secret;
  readonly fn: ProjectFunction;

  constructor(scope: Construct, id: string, props: TokenIssuerProps) {
    super(scope, id);

    ({ secret: this.appSecret, secretId: this.appSecretId, policyArn: this.appSecretPolicyArn } = this.appCredentials(
      props.reuseAppSecret,
    ));

    this.tokenSecret = new secretsmanager.Secret(this, 'Token', {
      description: 'Kiwoom bearer token {"token","expires_dt","expires_at"}, written only by the token function',
      generateSecretString: {
        // Unparsable on purpose (no expires_at): the first ensure issues a real token.
        secretStringTemplate: JSON.stringify({ expires_dt: '', expires_at: '' }),
        generateStringKey: 'token',
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.tokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The token function replaces this value on an EventBridge Scheduler schedule (before each scan and hourly when under 2 hours remain), which is its rotation; Kiwoom tokens live about 24 hours.',
    });

    this.fn = new ProjectFunction(this, 'TokenFunction', {
      entry: 'functions/handlers/token.ts',
      description: 'The one issuer of Kiwoom tokens for the app key (au10001)',
      serviceName: 'kfa-token',
      timeout: Duration.seconds(60),
      memorySize: 256,
      logLevel: props.logLevel,
      placement: props.placement,
      environment: {
        KIWOOM_BASE_URL: props.kiwoomBaseUrl,
        KIWOOM_APP_SECRET_ARN: this.appSecretId,
        KIWOOM_TOKEN_SECRET_ARN: this.tokenSecret.secretArn,
        HISTORY_TABLE: props.historyTable.tableName,
      },
    });
    // Scheduler invokes asynchronously. The function already retries
    // transient Kiwoom failures itself; Lambda's two extra attempts would only
    // repeat a rejected app key against au10001 (repeated failures risk a block).
    this.fn.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(30) });
    this.fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAppCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.appSecretPolicyArn],
      }),
    );
    this.fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteToken',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: [this.tokenSecret.secretArn],
      }),
    );
    // The issuer lock (functions/kiwoom/token-lock.ts), and no other item of the table.
    this.fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'IssuerLock',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.historyTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${TOKEN_LOCK_PREFIX}*`] } },
      }),
    );

    // One role for both schedules, so its grant can be reviewed (and acknowledged) here.
    const stack = Stack.of(this);
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      // Only this account's schedules of this stack's group (no confused deputy).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': props.scheduleGroup.scheduleGroupArn },
        },
      }),
      description: 'EventBridge Scheduler: invoke the token function',
    });
    const invoke = (input: object) =>
      new targets.LambdaInvoke(this.fn.function, {
        role: scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject(input),
        retryAttempts: 3,
        maxEventAge: Duration.minutes(30),
        deadLetterQueue: props.deadLetterQueue,
      });
    // An hour before the scan, with enough validity to last the whole run.
    const before = new Date(Date.UTC(2000, 0, 1, props.scanTime.hourKst, props.scanTime.minute) - 3_600_000);
    new scheduler.Schedule(this, 'BeforeScanSchedule', {
      scheduleGroup: props.scheduleGroup,
      description: 'Ensure a Kiwoom token with hours to spare an hour before the scan',
      schedule: scheduler.ScheduleExpression.cron({
        minute: String(before.getUTCMinutes()),
        hour: String(before.getUTCHours()),
        weekDay: dayNames(props.scanTime.daysKst, props.scanTime.hourKst === 0 ? -1 : 0),
        timeZone: TimeZone.ASIA_SEOUL,
      }),
      target: invoke({ action: 'ensure', min_valid_minutes: PRE_SCAN_MIN_VALID_MINUTES }),
    });
    new scheduler.Schedule(this, 'HourlySchedule', {
      scheduleGroup: props.scheduleGroup,
      description: 'Renew the Kiwoom token when fewer than 2 hours are left',
      schedule: scheduler.ScheduleExpression.cron({
        minute: '5',
        hour: '*',
        timeZone: TimeZone.ASIA_SEOUL,
      }),
      target: invoke({ action: 'ensure', min_valid_minutes: HOURLY_MIN_VALID_MINUTES }),
    });

    Validations.of(scheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.fn.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason:
        "CDK's Scheduler target grants invoking the token function's versions and aliases too; the statement is still limited to that one function.",
    });

    new CfnOutput(scope, 'KiwoomAppSecretArn', {
      value: this.appSecretId,
      description: 'aws secretsmanager put-secret-value --secret-id <this> --secret-string \'{"appkey":"…","secretkey":"…"}\'',
    });
    new CfnOutput(scope, 'KiwoomAppSecretName', { value: this.appSecret.secretName });
    new CfnOutput(scope, 'TokenFunctionName', { value: this.fn.function.functionName });
  }

  /** The retained secret named in the settings, or a new one holding a placeholder (retained in turn). */
  private appCredentials(reuse: string | undefined): { secret: secretsmanager.ISecret; secretId: string; policyArn: string } {
    if (reuse?.startsWith('arn:')) {
      return { secret: secretsmanager.Secret.fromSecretCompleteArn(this, 'AppCredentials', reuse), secretId: reuse, policyArn: reuse };
    }
    if (reuse !== undefined) {
      // By name, the ARN's random suffix is unknown: IAM gets `name-??????`, the SDK the name.
      const secret = secretsmanager.Secret.fromSecretNameV2(this, 'AppCredentials', reuse);
      return { secret, secretId: reuse, policyArn: `${secret.secretArn}-??????` };
    }
    const secret = new secretsmanager.Secret(this, 'AppCredentials', {
      description: 'Kiwoom app credentials {"appkey","secretkey"}: put the real values after deploying',
      generateSecretString: {
        // A generated placeholder: the real key is put by the user, never by CloudFormation.
        secretStringTemplate: JSON.stringify({ appkey: APP_KEY_PLACEHOLDER }),
        generateStringKey: 'secretkey',
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Kiwoom issues the app key and secret key in its own portal; Secrets Manager cannot rotate them. The user re-keys with put-secret-value (README, "Put the Kiwoom app credentials").',
    });
    return { secret, secretId: secret.secretArn, policyArn: secret.secretArn };
  }
}

const DAY_NAMES = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

/** Scheduler day names for DAY()-numbered days (1 = Monday), shifted by whole days. */
function dayNames(days: number[], shift: number): string {
  return days.map((d) => DAY_NAMES[(((d - 1 + shift) % 7) + 7) % 7]).join(',');
}
