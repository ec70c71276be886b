// cdk-nag's AWS Solutions pack over each egress variant: no finding may be
// left unacknowledged, errors and warnings alike (the app runs the same pack
// on every synth; here it runs without synthesizing, on the construct tree).
import { describe, expect, it } from 'vitest';
import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildStack } from './synth.ts';

function findings(context: Record<string, unknown>): string[] {
  const { stack } = buildStack(context);
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.map(
    (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
}

function acknowledgements(context: Record<string, unknown>): { id: string; reason: string }[] {
  const { stack } = buildStack(context);
  return stack.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>))
    .map(([id, reason]) => ({ id: id.replace(/^annotation::/i, ''), reason }));
}

describe('cdk-nag AwsSolutions checks', () => {
  for (const egress of ['nat-gateway', 'nat-instance', 'none']) {
    it(`leaves no unacknowledged error or warning with egress=${egress}`, () => {
      expect(findings({ egress })).toEqual([]);
    });
  }

  it('names a rule and gives a specific reason for every acknowledgement', () => {
    // CDK adds acknowledgements of its own (CloudFormation-Validate::…); ours are the AwsSolutions ones.
    const acks = acknowledgements({ egress: 'nat-instance' }).filter((a) => a.id.startsWith('AwsSolutions'));
    expect(acks.length).toBeGreaterThanOrEqual(8);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length).toBeGreaterThan(60);
    }
  });

  it('still reports findings that nobody acknowledged (the check is live)', () => {
    const { stack } = buildStack({ egress: 'none' }, { fresh: true });
    new Queue(stack, 'UnencryptedProbe', { encryption: undefined, enforceSSL: false });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-SQS4');
  });
});
