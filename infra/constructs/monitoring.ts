// Alarms to the ops topic: the scan failing, failed runs waiting in the
// dead-letter queue, no completed scan on a scan evening, Kiwoom 1700 answers
// (we are calling faster than the allowance) and the token function failing.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ScanTime } from '../settings.ts';
import { METRICS_NAMESPACE } from './node-function.ts';

/** The scan publishes this (value 1, Powertools Metrics) once a run reports done. */
export const SCAN_COMPLETED_METRIC = 'ScanCompleted';
/** The scan publishes this (count of 1700 answers) whenever Kiwoom says 1700. */
export const RATE_LIMITED_METRIC = 'KiwoomRateLimited';
/** Hours after the scheduled start within which a run must report done. */
export const HEARTBEAT_WINDOW_HOURS = 4;

export interface MonitoringProps {
  opsTopic: sns.ITopic;
  scanFunction: lambda.IFunction;
  scanServiceName: string;
  tokenFunction: lambda.IFunction;
  stateMachine: sfn.IStateMachine;
  deadLetterQueue: sqs.IQueue;
  scanTime: ScanTime;
}

export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const notify = new actions.SnsAction(props.opsTopic);
    const alarm = (alarmId: string, options: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, options);
      created.addAlarmAction(notify);
      this.alarms.push(created);
      return created;
    };
    const fiveMinutes = Duration.minutes(5);
    const atLeastOnce = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    } as const;

    alarm('ScanFunctionErrors', {
      ...atLeastOnce,
      alarmDescription: 'The scan function failed (the state machine retries; see its logs)',
      metric: props.scanFunction.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
    });
    alarm('ScanRunsFailed', {
      ...atLeastOnce,
      alarmDescription: 'A scan run failed after its retries or hit the loop guard',
      metric: props.stateMachine.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
    });
    alarm('ScanRunsTimedOut', {
      ...atLeastOnce,
      alarmDescription: 'A scan run exceeded the state machine timeout',
      metric: props.stateMachine.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }),
    });
    alarm('DeadLetterMessages', {
      ...atLeastOnce,
      alarmDescription: 'Failed runs or undeliverable schedule invocations are waiting in the dead-letter queue',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
    });
    alarm('KiwoomRateLimited', {
      ...atLeastOnce,
      alarmDescription: 'Kiwoom answered 1700 (rate limit): lower kiwoomRateLimit, repeated 1700s risk a block',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: RATE_LIMITED_METRIC,
        dimensionsMap: { service: props.scanServiceName },
        period: fiveMinutes,
        statistic: 'Sum',
      }),
    });
    alarm('TokenFunctionErrors', {
      ...atLeastOnce,
      alarmDescription: 'The token function failed: check the app credentials secret and the egress IP registration',
      metric: props.tokenFunction.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
    });

    const heartbeat = heartbeatExpression(props.scanTime, props.scanServiceName);
    alarm('NoScanCompleted', {
      alarmDescription:
        `No ${SCAN_COMPLETED_METRIC} within ${heartbeat.windowHours} hours of the scheduled scan start ` +
        '(the run failed, hung, or never started)',
      metric: heartbeat.expression,
      threshold: 1,
      evaluationPeriods: heartbeat.windowHours,
      datapointsToAlarm: heartbeat.windowHours,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }
}

/**
 * Hourly ScanCompleted, counted only in the hours after a scheduled start
 * (CloudWatch's DAY() and HOUR() are UTC; 1 = Monday) and read as 1 at every
 * other hour, so nights and weekends never look like a missed scan. The alarm
 * fires when every hour of the window is below 1.
 */
export function heartbeatExpression(
  scanTime: ScanTime,
  serviceName: string,
): { expression: cloudwatch.MathExpression; windowHours: number; startHourUtc: number; daysUtc: number[] } {
  const startHourUtc = (scanTime.hourKst + 15) % 24;
  const dayShift = scanTime.hourKst < 9 ? -1 : 0;
  const daysUtc = scanTime.daysKst.map((d) => ((d - 1 + dayShift + 7) % 7) + 1).sort((a, b) => a - b);
  // Keep the window inside one UTC day so DAY() names the scan's day.
  const windowHours = Math.min(HEARTBEAT_WINDOW_HOURS, 24 - startHourUtc);
  const f = 'FILL(m, 0)';
  const contiguous = daysUtc.every((d, i) => i === 0 || d === (daysUtc[i - 1] as number) + 1);
  const dayCondition =
    daysUtc.length === 7
      ? ''
      : contiguous
        ? `DAY(${f}) >= ${daysUtc[0]} AND DAY(${f}) <= ${daysUtc[daysUtc.length - 1]} AND `
        : `(${daysUtc.map((d) => `DAY(${f}) == ${d}`).join(' OR ')}) AND `;
  const expression = new cloudwatch.MathExpression({
    label: 'ScanCompleted in the scan window (1 elsewhere)',
    expression: `IF(${dayCondition}HOUR(${f}) >= ${startHourUtc} AND HOUR(${f}) < ${startHourUtc + windowHours}, ${f}, 1)`,
    period: Duration.hours(1),
    usingMetrics: {
      m: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: SCAN_COMPLETED_METRIC,
        dimensionsMap: { service: serviceName },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
    },
  });
  return { expression, windowHours, startHourUtc, daysUtc };
}
