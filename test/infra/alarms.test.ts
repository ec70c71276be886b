// The alarms of the synthesized template, fed sample datapoints the way
// CloudWatch evaluates them (test/infra/alarm-sim.ts): what fires, what stays
// silent on an evening without a scan, and what notifies again.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { NOT_CONFIGURED_HOURS, RATE_LIMITED_MIN_ANSWERS } from '../../infra/constructs/monitoring.ts';
import { compile, evaluate, notifications, type AlarmShape, type Sample } from './alarm-sim.ts';
import { buildStack, idOf } from './synth.ts';
import { STACK_NAME } from './policy.ts';

type Alarm = AlarmShape & {
  AlarmName: string;
  MetricName?: string;
  Namespace?: string;
  Metrics?: { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: { MetricName: string } } }[];
  AlarmActions: unknown[];
};

function alarms(template: Template): Map<string, Alarm> {
  return new Map(
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => {
      const alarm = (a as { Properties: Alarm }).Properties;
      return [alarm.AlarmName.replace(`${STACK_NAME}-`, ''), alarm];
    }),
  );
}

function alarm(template: Template, name: string): Alarm {
  const found = alarms(template).get(name);
  if (found === undefined) throw new Error(`no alarm ${name}`);
  return found;
}

/** The alarm's value per period from per-metric samples: its expression, or its single metric. */
function values(a: Alarm, samples: Sample[]): (number | undefined)[] {
  const expression = a.Metrics?.find((m) => m.Expression !== undefined && m.ReturnData !== false)?.Expression;
  if (expression === undefined) return samples.map((s) => s[a.MetricName as string]);
  // Expression ids stand for metrics; samples are keyed by metric name.
  const ids = new Map((a.Metrics ?? []).filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat?.Metric.MetricName as string]));
  const f = compile(expression);
  return f(samples.map((s) => Object.fromEntries([...ids].map(([id, metric]) => [id, s[metric]]))));
}

for (const egress of ['nat-gateway', 'nat-instance', 'none']) {
  describe(`alarms with egress=${egress}`, () => {
    let template: Template;
    beforeAll(() => {
      template = buildStack({ egress }).template;
    });

    it('notify the ops topic, every one of them', () => {
      const ops = idOf(template, 'AWS::SNS::Topic', 'AlertsOpsTopic');
      for (const [name, a] of alarms(template)) expect(a.AlarmActions, name).toContainEqual({ Ref: ops });
    });

    it('stay silent through a week without any data (weekends, holidays, before the first scan)', () => {
      const week = Array.from({ length: 7 * 24 * 12 }, () => ({}) as Sample);
      for (const [name, a] of alarms(template)) {
        expect(notifications(evaluate(a, values(a, week))), name).toBe(0);
      }
    });
  });
}

describe('what each alarm fires on', () => {
  let template: Template;
  beforeAll(() => {
    template = buildStack({ egress: 'nat-instance' }).template;
  });

  it('ScanRunsFailed and ScanRunsTimedOut fire on one failed or timed-out execution', () => {
    for (const [name, metric] of [['ScanRunsFailed', 'ExecutionsFailed'], ['ScanRunsTimedOut', 'ExecutionsTimedOut']] as const) {
      const a = alarm(template, name);
      expect(a.Namespace).toBe('AWS/States');
      expect(evaluate(a, values(a, [{}, { [metric]: 1 }, {}])), name).toEqual(['OK', 'ALARM', 'OK']);
    }
  });

  it('KiwoomRateLimited fires on a share of 1700 answers, not on the handful the limiter costs when it settles', () => {
    const a = alarm(template, 'KiwoomRateLimited');
    const fifteenMinutes = (calls: number, limited: number): Sample => ({ KiwoomCalls: calls, KiwoomRateLimited: limited });
    const fired = (sample: Sample) => evaluate(a, values(a, [sample]))[0] === 'ALARM';
    expect(fired(fifteenMinutes(50, 1))).toBe(false); // a single 1700
    expect(fired(fifteenMinutes(2_000, RATE_LIMITED_MIN_ANSWERS))).toBe(false); // settling after a lower allowance
    expect(fired(fifteenMinutes(10, 4))).toBe(false); // too few to say
    expect(fired(fifteenMinutes(200, 10))).toBe(true); // 5% of the calls
    expect(fired(fifteenMinutes(2_000, 60))).toBe(true); // 3% over a long scan
    expect(fired({})).toBe(false); // no scan
  });

  it('ScanCodesFailing fires when most codes of an evening fail, not for one bad code', () => {
    const a = alarm(template, 'ScanCodesFailing');
    const hour = (scanned: number, failed: number): Sample => ({ CodesScanned: scanned, CodesFailed: failed });
    const fired = (sample: Sample) => evaluate(a, values(a, [sample]))[0] === 'ALARM';
    expect(fired(hour(199, 1))).toBe(false); // a delisted code
    expect(fired(hour(0, 200))).toBe(true); // Kiwoom down all evening
    expect(fired(hour(80, 120))).toBe(true);
    expect(fired(hour(0, 0))).toBe(false); // an empty watchlist
  });

  it('DeadLetterMessages notifies again for each new message, even while older ones wait', () => {
    const a = alarm(template, 'DeadLetterMessages');
    expect(a.MetricName).toBe('NumberOfMessagesSent');
    // One failed run on Monday, another on Tuesday; nobody has read the queue in between.
    const series: Sample[] = [{ NumberOfMessagesSent: 1 }, {}, {}, {}, { NumberOfMessagesSent: 1 }, {}];
    expect(notifications(evaluate(a, values(a, series)))).toBe(2);
  });

  it('DeadLetterMessages sees every message it gets: all come by SendMessage, none by a queue\'s redrive', () => {
    const dlq = idOf(template, 'AWS::SQS::Queue', 'DeadLettersQueue');
    const redriveTargets = Object.values(template.findResources('AWS::SQS::Queue')).map(
      (q) => (q as { Properties: { RedrivePolicy?: { deadLetterTargetArn?: unknown } } }).Properties.RedrivePolicy?.deadLetterTargetArn,
    );
    expect(redriveTargets.filter((t) => t !== undefined)).toHaveLength(1); // the delivery queue's own DLQ
    expect(JSON.stringify(redriveTargets)).not.toContain(dlq);
  });

  describe('DeliverDeadLetterMessages (the chat delivery queue moves failed deliveries there by redrive)', () => {
    // SQS moves a message after its eighth receive: NumberOfMessagesSent stays 0, the visible count rises.
    const visible = (...counts: (number | undefined)[]): Sample[] =>
      counts.map((n) => (n === undefined ? {} : { ApproximateNumberOfMessagesVisible: n, NumberOfMessagesSent: 0 }));
    const sent = (a: Alarm, series: Sample[]) => notifications(evaluate(a, values(a, series)));

    it('notifies for a message moved there, and again for a second while the first still waits', () => {
      const a = alarm(template, 'DeliverDeadLetterMessages');
      expect(sent(a, visible(undefined, undefined, 1, 1, 1, 1, 2, 2, 2))).toBe(2);
    });

    it('notifies again for a new message after the queue went quiet (no metrics after six idle hours)', () => {
      const a = alarm(template, 'DeliverDeadLetterMessages');
      expect(sent(a, visible(undefined, 1, 1, ...Array<undefined>(100).fill(undefined), 2, 2))).toBe(2);
    });

    it('stays silent while messages are read or redriven away, and counts a message sent there by hand', () => {
      const a = alarm(template, 'DeliverDeadLetterMessages');
      expect(sent(a, visible(undefined, 3, 3, 1, 0, undefined, 0))).toBe(1);
      expect(sent(a, [{}, { NumberOfMessagesSent: 1 }, {}])).toBe(1);
    });
  });

  it('TokenFunctionErrors fires on a failed token run; KiwoomCredentialsMissing only after a day of "not configured"', () => {
    const errors = alarm(template, 'TokenFunctionErrors');
    expect(evaluate(errors, values(errors, [{ Errors: 1 }]))).toEqual(['ALARM']);
    const missing = alarm(template, 'KiwoomCredentialsMissing');
    const hours = (n: number) => Array.from({ length: n }, () => ({ TokenNotConfigured: 1 }) as Sample);
    expect(notifications(evaluate(missing, values(missing, hours(NOT_CONFIGURED_HOURS - 1))))).toBe(0);
    expect(notifications(evaluate(missing, values(missing, hours(NOT_CONFIGURED_HOURS * 3))))).toBe(1);
    expect(notifications(evaluate(missing, values(missing, [...hours(20), {}, ...hours(20)])))).toBe(0);
  });

  it('recovers the NAT instance on a failed system check and reboots it on a failed instance check', () => {
    const system = alarm(template, 'NatInstanceSystemCheck');
    const instance = alarm(template, 'NatInstanceCheck');
    const natInstance = Object.keys(template.findResources('AWS::EC2::Instance'))[0];
    for (const a of [system, instance]) {
      expect(a).toMatchObject({ Namespace: 'AWS/EC2', Dimensions: [{ Name: 'InstanceId', Value: { Ref: natInstance } }] });
    }
    expect(system.MetricName).toBe('StatusCheckFailed_System');
    expect(JSON.stringify(system.AlarmActions)).toContain(':ec2:recover');
    expect(instance.MetricName).toBe('StatusCheckFailed_Instance');
    expect(JSON.stringify(instance.AlarmActions)).toContain(':ec2:reboot');
    expect(evaluate(system, values(system, [{ StatusCheckFailed_System: 1 }, { StatusCheckFailed_System: 1 }]))).toEqual(['OK', 'ALARM']);
  });

  it('ScheduleDeliveryLost watches this stack’s schedule group only', () => {
    const a = alarm(template, 'ScheduleDeliveryLost') as Alarm & { Dimensions: unknown };
    expect(a).toMatchObject({ Namespace: 'AWS/Scheduler', MetricName: 'InvocationsFailedToBeSentToDeadLetterCount' });
    const group = template.toJSON()['Resources'][idOf(template, 'AWS::Scheduler::ScheduleGroup', 'Schedules')].Properties.Name;
    expect(a.Dimensions).toEqual([{ Name: 'ScheduleGroup', Value: group }]);
    // …and the three schedules are in it.
    template.resourcePropertiesCountIs('AWS::Scheduler::Schedule', { GroupName: group }, 3);
  });
});
