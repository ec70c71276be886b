// Alarms to the ops topic, each for something a person must act on, and each
// silent when nothing happened (missing data is never a breach: no alarm
// fires on a weekend, a holiday or before the first scan). A scan run that
// does not finish ends its execution failed or timed out; a scheduled start
// that never reached Step Functions lands in the dead-letter queue, or, if
// even that fails, counts as a failed DLQ delivery; a run that finished with
// most of its codes failed (Kiwoom down) has its own. Every alarm is named
// `<stack>-<id>`: the ops topic lets CloudWatch publish for those names only.
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { alarmNamePrefix } from './alerts.ts';
import { METRICS_NAMESPACE } from './node-function.ts';

/** The scan publishes this (count of 1700 answers) with every invocation, beside KiwoomCalls. */
export const RATE_LIMITED_METRIC = 'KiwoomRateLimited';
export const KIWOOM_CALLS_METRIC = 'KiwoomCalls';
/** The token function publishes this (1) whenever the app credentials secret still holds the placeholder. */
export const TOKEN_NOT_CONFIGURED_METRIC = 'TokenNotConfigured';
/**
 * KiwoomRateLimited fires when, within 15 minutes, at least this many calls
 * were answered 1700 and they were at least RATE_LIMITED_PERCENT of the
 * calls: the limiter's settling after a lower server allowance costs a
 * handful of 1700s and is not worth a message; a steady share risks a block.
 */
export const RATE_LIMITED_MIN_ANSWERS = 5;
export const RATE_LIMITED_PERCENT = 2;
/** ScanCodesFailing fires when at least this share of the codes a scan tried in an hour failed (a Kiwoom outage). */
export const CODES_FAILING_PERCENT = 50;
/** Hours of "not configured" answers from the hourly token check before anyone is told. */
export const NOT_CONFIGURED_HOURS = 24;

export interface MonitoringProps {
  opsTopic: sns.ITopic;
  scanFunction: lambda.IFunction;
  scanServiceName: string;
  tokenFunction: lambda.IFunction;
  tokenServiceName: string;
  stateMachine: sfn.IStateMachine;
  deadLetterQueue: sqs.IQueue;
  scheduleGroup: scheduler.IScheduleGroup;
  /** egress=nat-instance: watched, recovered on a failed system check, rebooted on a failed instance check. */
  natInstance?: ec2.Instance;
}

export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly #notify: actions.SnsAction;
  readonly #namePrefix: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.#notify = new actions.SnsAction(props.opsTopic);
    this.#namePrefix = alarmNamePrefix(Stack.of(this));
    const fiveMinutes = Duration.minutes(5);

    this.atLeastOnce('ScanFunctionErrors', 'The scan function failed (the state machine retries it; see its logs)',
      props.scanFunction.metricErrors({ period: fiveMinutes, statistic: 'Sum' }));
    this.atLeastOnce('ScanRunsFailed',
      'A scan run failed: a slice failed after its retries, the scan stopped (Kiwoom refused the key, the lease was lost), ' +
        'another scan held the lease, or the loop guard tripped. The execution\'s error and cause say which; the run is also in the dead-letter queue.',
      props.stateMachine.metricFailed({ period: fiveMinutes, statistic: 'Sum' }));
    this.atLeastOnce('ScanRunsTimedOut', 'A scan run did not finish within the state machine timeout',
      props.stateMachine.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }));
    // Messages sent, not messages waiting: each new failed run or undeliverable
    // schedule invocation is a new datapoint, so the alarm notifies again even
    // while older messages still wait to be read. Everything reaches this queue
    // by SendMessage (no queue redrives into it), so NumberOfMessagesSent sees
    // every message; the delivery DLQ, fed by a redrive, needs deadLetterArrivals.
    this.atLeastOnce('DeadLetterMessages',
      'A new message in the dead-letter queue: a failed scan run or a schedule invocation that never reached its target',
      props.deadLetterQueue.metricNumberOfMessagesSent({ period: fiveMinutes, statistic: 'Sum' }));
    this.atLeastOnce('ScheduleDeliveryLost',
      'EventBridge Scheduler could neither invoke a target nor put the invocation in the dead-letter queue (a scan or token check was lost)',
      props.scheduleGroup.metricFailedToBeSentToDLQ(undefined, { period: fiveMinutes, statistic: 'Sum' }));
    this.atLeastOnce('TokenFunctionErrors',
      'The token function failed: Kiwoom refused the app key (check the credentials secret and the egress IP registration) or could not be reached',
      props.tokenFunction.metricErrors({ period: fiveMinutes, statistic: 'Sum' }));

    this.add('KiwoomRateLimited', {
      alarmDescription:
        `At least ${RATE_LIMITED_MIN_ANSWERS} Kiwoom 1700 answers (rate limit) and at least ${RATE_LIMITED_PERCENT}% of the calls within 15 minutes: ` +
        'lower kiwoomRateLimit; repeated 1700s risk a block',
      metric: rateLimitedExpression(props.scanServiceName),
      threshold: RATE_LIMITED_PERCENT,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // A run whose every code failed still finishes (each failure is reported
    // and retried next run), so the execution alarms do not see an outage.
    this.add('ScanCodesFailing', {
      alarmDescription:
        `At least ${CODES_FAILING_PERCENT}% of the codes the scan tried within an hour failed (Kiwoom down or answering garbage): ` +
        'their alerts wait for the next run; see "scan codes failed" in the scan log',
      metric: codesFailingExpression(props.scanServiceName),
      threshold: CODES_FAILING_PERCENT,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.add('KiwoomCredentialsMissing', {
      alarmDescription:
        `For ${NOT_CONFIGURED_HOURS} hours the app credentials secret has held the placeholder the stack created: ` +
        'put the Kiwoom app key and secret key (README, "Put the Kiwoom app credentials")',
      metric: serviceSum(props.tokenServiceName, TOKEN_NOT_CONFIGURED_METRIC, Duration.hours(1)),
      threshold: 1,
      evaluationPeriods: NOT_CONFIGURED_HOURS,
      datapointsToAlarm: NOT_CONFIGURED_HOURS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.natInstance !== undefined) this.watchNatInstance(props.natInstance);
  }

  /**
   * A failed system check (the host) recovers the instance onto new hardware,
   * keeping its id, private address and Elastic IP; a failed instance check
   * (the OS) reboots it, and the setup service re-applies the NAT rules.
   */
  private watchNatInstance(instance: ec2.Instance): void {
    const check = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/EC2',
        metricName,
        dimensionsMap: { InstanceId: instance.instanceId },
        period: Duration.minutes(1),
        statistic: 'Maximum',
      });
    const twoMinutes = {
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    } as const;
    this.add('NatInstanceSystemCheck', {
      ...twoMinutes,
      alarmDescription: 'The NAT instance failed its system status check: EC2 recovers it (same id, address and Elastic IP)',
      metric: check('StatusCheckFailed_System'),
    }).addAlarmAction(new actions.Ec2Action(actions.Ec2InstanceAction.RECOVER));
    this.add('NatInstanceCheck', {
      ...twoMinutes,
      alarmDescription: 'The NAT instance failed its instance status check: EC2 reboots it and the NAT setup runs again',
      metric: check('StatusCheckFailed_Instance'),
    }).addAlarmAction(new actions.Ec2Action(actions.Ec2InstanceAction.REBOOT));
  }

  private atLeastOnce(alarmId: string, description: string, metric: cloudwatch.IMetric): cloudwatch.Alarm {
    return this.add(alarmId, {
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private add(alarmId: string, options: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, alarmId, { ...options, alarmName: `${this.#namePrefix}${alarmId}` });
    alarm.addAlarmAction(this.#notify);
    this.alarms.push(alarm);
    return alarm;
  }
}

/**
 * Percent of the scan's Kiwoom calls answered 1700 in 15 minutes, counted only
 * once there are RATE_LIMITED_MIN_ANSWERS of them (0 below that).
 */
export function rateLimitedExpression(serviceName: string): cloudwatch.MathExpression {
  const period = Duration.minutes(15);
  return new cloudwatch.MathExpression({
    label: 'Kiwoom 1700 answers, % of calls',
    expression: `IF(limited >= ${RATE_LIMITED_MIN_ANSWERS} AND calls > 0, 100 * limited / calls, 0)`,
    period,
    usingMetrics: {
      limited: serviceSum(serviceName, RATE_LIMITED_METRIC, period),
      calls: serviceSum(serviceName, KIWOOM_CALLS_METRIC, period),
    },
  });
}

/**
 * New messages in a dead-letter queue per five minutes, however they came.
 * NumberOfMessagesSent counts only SendMessage calls (Step Functions,
 * Scheduler); a message SQS itself moves there after maxReceiveCount (a
 * redrive policy) is not counted by it and shows only as a rise of
 * ApproximateNumberOfMessagesVisible from one period to the next. The larger
 * of the two (a rise includes the sent ones). A queue nobody has touched for
 * six hours publishes no metrics, so a missing period reads as empty: a
 * message moved into a long-idle queue is a rise from 0. Messages read or
 * redriven away are a fall and count for nothing.
 */
export function deadLetterArrivals(queue: sqs.IQueue): cloudwatch.MathExpression {
  const period = Duration.minutes(5);
  return new cloudwatch.MathExpression({
    label: 'New dead-letter messages',
    expression: 'IF(DIFF(FILL(visible, 0)) > FILL(sent, 0), DIFF(FILL(visible, 0)), FILL(sent, 0))',
    period,
    usingMetrics: {
      sent: queue.metricNumberOfMessagesSent({ period, statistic: 'Sum' }),
      visible: queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
    },
  });
}

/** Percent of the codes the scan tried in an hour that failed (0 when it tried none). */
export function codesFailingExpression(serviceName: string): cloudwatch.MathExpression {
  const period = Duration.hours(1);
  return new cloudwatch.MathExpression({
    label: 'Codes failed, % of codes tried',
    expression: 'IF(scanned + failed > 0, 100 * failed / (scanned + failed), 0)',
    period,
    usingMetrics: {
      scanned: serviceSum(serviceName, 'CodesScanned', period),
      failed: serviceSum(serviceName, 'CodesFailed', period),
    },
  });
}

/** The sum per period of one of our functions' Powertools metrics (namespace and `service` dimension). */
function serviceSum(serviceName: string, metricName: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: serviceName }, statistic: 'Sum', period });
}
