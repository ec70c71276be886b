// The evening scan. With an allowance as low as 1 call per second per app key,
// a scan of thousands of codes outlasts one 15-minute Lambda run, so a Step
// Functions loop invokes the scan function again and again (each invocation
// works until its time is nearly up) until it answers `done: true`.
import { CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Tables } from './data.ts';
import { ProjectFunction, type FunctionPlacement } from './node-function.ts';
import type { TokenIssuer } from './token.ts';

/**
 * How long a run may take before the state machine times it out (and the
 * ExecutionsTimedOut alarm fires the same evening): 2,000 codes at 1 call per
 * second take about 35 minutes, 10,000 about three hours.
 */
export const RUN_TIMEOUT = Duration.hours(4);
/** Loop guard: 16 invocations × 15 minutes is the run timeout; a loop that never says done fails before it. */
export const MAX_SCAN_ITERATIONS = 16;

/** What the scan function answers in `outcome` (functions/handlers/scan.ts); anything but `time_up` ends the run. */
export const SCAN_OUTCOMES = { finished: 'finished', timeUp: 'time_up', stopped: 'stopped', leaseHeld: 'lease_held' } as const;

/** Where failed runs and undeliverable schedule invocations end up. */
export class DeadLetters extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination (failed scan runs, undeliverable schedule invocations); a person reads it after the DLQ alarm, so a further DLQ would have nothing to catch.',
    });
    new CfnOutput(scope, 'DeadLetterQueueUrl', { value: this.queue.queueUrl });
  }
}

export interface ScanPipelineProps {
  placement: FunctionPlacement;
  scheduleGroup: scheduler.IScheduleGroup;
  tables: Tables;
  alertTopic: sns.ITopic;
  topicKey: kms.Key;
  token: TokenIssuer;
  deadLetterQueue: sqs.IQueue;
  scanCron: string;
  kiwoomBaseUrl: string;
  kiwoomRateLimit?: number;
  logLevel: string;
}

export class ScanPipeline extends Construct {
  readonly fn: ProjectFunction;
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ScanPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.fn = new ProjectFunction(this, 'ScanFunction', {
      entry: 'functions/handlers/scan.ts',
      description: 'One bounded slice of the evening ka10008 scan; the state machine calls it until done',
      serviceName: 'kfa-scan',
      // 15 minutes, Lambda's maximum: the scan stops itself before its remaining time runs out.
      timeout: Duration.minutes(15),
      // 512 MB from measurement: `npm run bench -- scan` peaks at ~200 MB RSS
      // for 200 codes with the whole local stack's JS side in one process, and
      // the scan holds only a few codes' rows at a time; the headroom buys the
      // CPU share that keeps JSON and TLS work off the Kiwoom pacing.
      memorySize: 512,
      logLevel: props.logLevel,
      placement: props.placement,
      environment: {
        WATCHLIST_TABLE: props.tables.watchlist.tableName,
        HISTORY_TABLE: props.tables.history.tableName,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        KIWOOM_BASE_URL: props.kiwoomBaseUrl,
        ...(props.kiwoomRateLimit === undefined ? {} : { KIWOOM_RATE_LIMIT: String(props.kiwoomRateLimit) }),
        KIWOOM_TOKEN_SECRET_ARN: props.token.tokenSecret.secretArn,
        // No KIWOOM_APP_SECRET_ARN: the scan never sees the app credentials;
        // recovery after an 8005 goes through the token function.
        TOKEN_FUNCTION_NAME: props.token.fn.function.functionName,
      },
    });
    // No reserved concurrency: it fails to deploy on new accounts whose
    // concurrency quota is small, and the state machine runs one slice at a time.
    this.grantScanAccess(props);

    this.stateMachine = this.buildStateMachine(props, stack);

    new scheduler.Schedule(this, 'ScanSchedule', {
      scheduleGroup: props.scheduleGroup,
      description: 'Start the evening scan (Asia/Seoul)',
      schedule: scheduler.ScheduleExpression.expression(props.scanCron, TimeZone.ASIA_SEOUL),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: props.deadLetterQueue,
      }),
    });

    new CfnOutput(scope, 'ScanStateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(scope, 'ScanFunctionName', { value: this.fn.function.functionName });
  }

  private grantScanAccess(props: ScanPipelineProps): void {
    const role = this.fn.role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWatchlist',
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'],
        resources: [props.tables.watchlist.tableArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteHistory',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:Query',
          'dynamodb:Scan',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
        ],
        resources: [props.tables.history.tableArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'QueryUnsentLedger',
        actions: ['dynamodb:Query'],
        resources: [props.tables.unsentIndexArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishAlerts',
        actions: ['sns:Publish'],
        resources: [props.alertTopic.topicArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'UseTopicKey',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.topicKey.keyArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadToken',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.token.tokenSecret.secretArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AskTokenFunction',
        actions: ['lambda:InvokeFunction'],
        resources: [props.token.fn.function.functionArn],
      }),
    );
  }

  private buildStateMachine(props: ScanPipelineProps, stack: Stack): sfn.StateMachine {
    // The run id is the execution's name, fixed before the first slice: every
    // retry of every slice (a crashed first slice included) is the same lease
    // holder and resumes the run instead of finding its own lease held.
    const startRun = new sfn.Pass(this, 'StartRun', {
      comment: 'The first scan event: the run id and start time come from the execution itself',
      parameters: {
        iteration: 0,
        scan: { 'run_id.$': '$$.Execution.Name', 'run_started_at.$': '$$.Execution.StartTime' },
      },
    });

    const scanSlice = new tasks.LambdaInvoke(this, 'ScanSlice', {
      comment: 'One invocation, bounded by its remaining time; its output is the next input',
      lambdaFunction: this.fn.function,
      // The Lambda receives exactly the previous slice's output (at first, the execution input).
      inputPath: '$.scan',
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.scan',
      taskTimeout: sfn.Timeout.duration(Duration.minutes(16)),
    });
    scanSlice.addRetry({
      errors: [
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
        'Lambda.ClientExecutionTimeoutException',
      ],
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
    });
    // A crashed slice is safe to repeat: the lease and the alert ledger make
    // the scan idempotent. Give Kiwoom or DynamoDB a minute to recover.
    scanSlice.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(60),
      maxAttempts: 2,
      backoffRate: 2,
    });

    const countIteration = new sfn.Pass(this, 'CountIteration', {
      parameters: { 'iteration.$': 'States.MathAdd($.iteration, 1)', 'scan.$': '$.scan' },
    });

    const runSummary = new sfn.Pass(this, 'RunSummary', {
      comment: 'What the run did, as the last slice reported it',
      parameters: {
        'run_id.$': '$.scan.run_id',
        'run_started_at.$': '$.scan.run_started_at',
        'iterations.$': '$.iteration',
        'outcome.$': '$.scan.outcome',
        'summary.$': '$.scan.summary',
      },
    });

    const recordFailure = new tasks.SqsSendMessage(this, 'RecordFailedRun', {
      queue: props.deadLetterQueue,
      messageBody: sfn.TaskInput.fromObject({
        'execution.$': '$$.Execution.Id',
        'iteration.$': '$.iteration',
        'scan.$': '$.scan',
        'error.$': '$.error',
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    recordFailure.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(5), maxAttempts: 3, backoffRate: 2 });
    const runFailed = new sfn.Fail(this, 'RunFailed', {
      comment: 'Why, from the failed slice, the loop guard, or the scan itself (stopped, lease held)',
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    recordFailure.next(runFailed);
    scanSlice.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });

    const failWith = (id: string, error: string, cause: string) =>
      new sfn.Pass(this, id, {
        parameters: { 'iteration.$': '$.iteration', 'scan.$': '$.scan', error: { Error: error, 'Cause.$': cause } },
      }).next(recordFailure);
    const loopGuard = failWith(
      'LoopGuardTripped',
      'LoopGuard',
      `States.Format('no done after ${MAX_SCAN_ITERATIONS} invocations (run {})', $.scan.run_id)`,
    );
    const stopped = failWith(
      'RunStopped',
      'ScanStopped',
      "States.Format('the scan stopped: {} ({})', $.scan.summary.stopped.reason, $.scan.summary.stopped.error)",
    );
    const leaseHeld = failWith(
      'LeaseHeld',
      'ScanLeaseHeld',
      "States.Format('another scan ({}) holds the lease until {}; this run scanned nothing', $.scan.summary.lease_held.holder, $.scan.summary.lease_held.expires_at)",
    );

    const outcome = (value: string) => sfn.Condition.stringEquals('$.scan.outcome', value);
    const done = new sfn.Choice(this, 'Done?')
      .when(outcome(SCAN_OUTCOMES.finished), runSummary.next(new sfn.Succeed(this, 'RunFinished')))
      .when(outcome(SCAN_OUTCOMES.stopped), stopped)
      .when(outcome(SCAN_OUTCOMES.leaseHeld), leaseHeld)
      .when(sfn.Condition.numberGreaterThanEquals('$.iteration', MAX_SCAN_ITERATIONS), loopGuard)
      .otherwise(scanSlice);

    const definition = startRun.next(scanSlice).next(countIteration).next(done);

    const logGroupName = `/aws/vendedlogs/states/${stack.stackName}-scan`;
    const stateMachineLogGroupArn = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${logGroupName}`;
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName,
      retention: logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.topicKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    props.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogs',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        // This one log group only: the key protects the alert topics too.
        conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': stateMachineLogGroupArn } },
      }),
    );

    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Evening scan: invoke the scan function until it reports done',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: RUN_TIMEOUT,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    logGroup.node.addDependency(props.topicKey);

    const policy = stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (policy !== undefined) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, …) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) do not support resource-level permissions.',
      });
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.fn.function.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason:
          'Grants invoking the scan function’s versions and aliases (CDK’s LambdaInvoke grant); the statement is still limited to that one function.',
      });
    }
    return stateMachine;
  }
}
