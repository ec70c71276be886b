// Settings that survive the next deploy, retained resources reused on a
// redeploy, the account's SMS settings, and the cost-allocation tag: read
// from the settings file the way `npx cdk deploy` does, and checked in the
// synthesized template.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, TagManager } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OUTPUTS_FILE, DEPLOY_RECORD_OUTPUT, describeChanges, readDeployRecord, recordOf } from '../../infra/deploy-record.ts';
import {
  DEFAULT_SETTINGS_FILE,
  DeploySettingsError,
  mergeSettings,
  parseSettingsFile,
  readDeploySettings,
  readSettingsFile,
} from '../../infra/settings.ts';
import { KiwoomForeignAlertsStack, PROJECT_TAG_KEY, warnAboutSettings } from '../../infra/stack.ts';
import { REPO_ROOT } from '../../infra/constructs/node-function.ts';
import { buildStack, idOf } from './synth.ts';
import { ACCOUNT, PARTITION, REGION, allows, resolve, roleStatements } from './policy.ts';

const FILE = {
  egress: 'nat-gateway',
  alertEmails: ['me@example.com', 'analyst@example.com'],
  alertPhones: ['+821012345678'],
  opsEmails: ['ops@example.com'],
};

/** The app as infra/app.ts builds it: the file, then any `-c` context on top. */
function deploy(file: Record<string, unknown>, context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });
  const { source, overrides } = mergeSettings(file, app.node);
  const stack = new KiwoomForeignAlertsStack(app, 'KiwoomForeignAlerts', { settings: readDeploySettings(source) });
  return { app, stack, overrides, template: Template.fromStack(stack) };
}

describe('the settings file', () => {
  let twoPlainDeploys: [ReturnType<typeof deploy>, ReturnType<typeof deploy>];
  beforeAll(() => {
    twoPlainDeploys = [deploy(FILE), deploy(FILE)];
  });

  it('is deploy-settings.json at the repository root, and holds the defaults as shipped', async () => {
    const file = readSettingsFile(join(REPO_ROOT, DEFAULT_SETTINGS_FILE));
    expect(file).toBeDefined();
    expect(readDeploySettings(mergeSettings(file ?? {}, { tryGetContext: () => undefined }).source)).toEqual(
      readDeploySettings({ tryGetContext: () => undefined }),
    );
  });

  it('is the only place deploy settings live: cdk.json holds none, and names the outputs file the app compares with', async () => {
    const cdkJson = JSON.parse(await readFile(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown>; outputsFile: string };
    expect(Object.keys(cdkJson.context)).toEqual(['cli-telemetry']);
    expect(cdkJson.outputsFile).toBe(DEFAULT_OUTPUTS_FILE);
  });

  it('names a key it does not know (a typo would silently deploy no subscriptions)', () => {
    try {
      parseSettingsFile(JSON.stringify({ alertEmail: ['me@example.com'] }), 'deploy-settings.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DeploySettingsError);
      expect((error as DeploySettingsError).problems[0]?.key).toBe('deploy-settings.json: alertEmail');
    }
  });

  it('names the file when it is not JSON', () => {
    expect(() => parseSettingsFile('{ "egress": nat }', 'prod.json')).toThrow(/prod\.json: is not valid JSON/);
  });

  it('makes a plain deploy (no -c) build exactly what the file says, again and again', () => {
    const [first, second] = twoPlainDeploys;
    expect(first.overrides).toEqual([]);
    expect(second.template.toJSON()).toEqual(first.template.toJSON());
    first.template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 3);
    first.template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'sms' }, 1);
  });

  it('takes a -c value for one deploy and reports it as an override of the file', () => {
    const { overrides, template } = deploy(FILE, { egress: 'none', alertEmails: 'me@example.com,analyst@example.com' });
    expect(overrides).toEqual([{ key: 'egress', file: 'nat-gateway', context: 'none' }]);
    template.resourceCountIs('AWS::EC2::VPC', 0);
  });
});

describe('what a deploy says before it changes subscriptions or egress', () => {
  it('names each removed subscription and the egress change against the last deploy', () => {
    const last = recordOf(readDeploySettings(mergeSettings(FILE, { tryGetContext: () => undefined }).source));
    const next = { ...last, egress: 'none' as const, alertEmails: ['me@example.com'], alertPhones: [] };
    expect(describeChanges(last, next)).toEqual([
      'removes the alert email subscription of analyst@example.com',
      'removes the alert SMS subscription of +821012345678',
      expect.stringMatching(/^changes egress from nat-gateway to none: .*8050/),
    ]);
    expect(describeChanges(last, last)).toEqual([]);
  });

  it('reads the last deploy from the outputs file the CLI writes, and prints the changes as synth warnings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kfa-outputs-'));
    try {
      const before = deploy(FILE);
      const outputs = join(dir, DEFAULT_OUTPUTS_FILE);
      // What `cdk deploy` writes with outputsFile: each stack's outputs by name.
      const output = before.template.findOutputs(DEPLOY_RECORD_OUTPUT)[DEPLOY_RECORD_OUTPUT] as { Value: string };
      await writeFile(outputs, JSON.stringify({ KiwoomForeignAlerts: { [DEPLOY_RECORD_OUTPUT]: output.Value } }));

      const plain = deploy({});
      const warnings = warnAboutSettings(plain.stack, {
        settingsFile: 'deploy-settings.json',
        fileFound: false,
        overrides: [],
        lastDeploy: readDeployRecord(outputs, 'KiwoomForeignAlerts'),
      });

      expect(warnings).toEqual([
        expect.stringContaining('deploy-settings.json not found'),
        expect.stringContaining('removes the alert email subscription of me@example.com'),
        expect.stringContaining('removes the alert email subscription of analyst@example.com'),
        expect.stringContaining('removes the alert SMS subscription of +821012345678'),
        expect.stringContaining('removes the ops email subscription of ops@example.com'),
      ]);
      Annotations.fromStack(plain.stack).hasWarning('/KiwoomForeignAlerts', Match.stringLikeRegexp('removes the ops email subscription'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('warns that a -c override lasts one deploy', () => {
    const { stack, overrides } = deploy(FILE, { opsEmails: 'someone@example.com' });
    const [warning] = warnAboutSettings(stack, { settingsFile: 'deploy-settings.json', fileFound: true, overrides });
    expect(warning).toMatch(/-c opsEmails=.*overrides deploy-settings\.json .* for this deploy only/);
  });

  it('says nothing when the deploy matches the file and the last deploy', () => {
    const { stack, overrides } = deploy(FILE);
    const lastDeploy = recordOf(stack.settings);
    expect(warnAboutSettings(stack, { settingsFile: 'deploy-settings.json', fileFound: true, overrides, lastDeploy })).toEqual([]);
  });
});

describe('a redeploy after cdk destroy', () => {
  const REUSE = {
    watchlistTableName: 'KiwoomForeignAlerts-TablesWatchlistCE1F4CDF-1AB2C3D4E5F6',
    historyTableName: 'KiwoomForeignAlerts-TablesHistory40CCE7D9-6F5E4D3C2B1A',
    appSecret: 'TokenAppCredentials6FA770A4-Xy12Ab34Cd56',
    elasticIpAllocationId: 'eipalloc-0a1b2c3d4e5f60718',
    elasticIpAddress: '3.35.100.200',
  };

  it('uses the retained tables, app secret and Elastic IP instead of creating new ones', () => {
    const { template } = buildStack({ ...REUSE, egress: 'nat-gateway' });
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret')).filter((id) => id.startsWith('TokenAppCredentials'))).toEqual([]);
    template.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: REUSE.elasticIpAllocationId });
    template.hasOutput('KiwoomEgressIp', { Value: REUSE.elasticIpAddress });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ WATCHLIST_TABLE: REUSE.watchlistTableName, HISTORY_TABLE: REUSE.historyTableName }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KIWOOM_APP_SECRET_ARN: REUSE.appSecret }) },
    });
  });

  it('lets the functions use the retained resources, and only those', () => {
    const { elasticIpAllocationId: _allocation, elasticIpAddress: _address, ...tablesAndSecret } = REUSE;
    const { template } = buildStack({ ...tablesAndSecret, egress: 'none' });
    const scanRole = idOf(template, 'AWS::IAM::Role', 'ScanScanFunctionRole');
    const tokenRole = idOf(template, 'AWS::IAM::Role', 'TokenTokenFunctionRole');
    const table = (name: string) => `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
    const may = (role: string, action: string, resource: string) =>
      allows(roleStatements(template, role), { principal: { aws: role }, action, resource });
    expect(may(scanRole, 'dynamodb:PutItem', table(REUSE.historyTableName))).toBe(true);
    expect(may(scanRole, 'dynamodb:Query', `${table(REUSE.historyTableName)}/index/unsent`)).toBe(true);
    expect(may(scanRole, 'dynamodb:Scan', table(REUSE.watchlistTableName))).toBe(true);
    expect(may(scanRole, 'dynamodb:PutItem', table(REUSE.watchlistTableName))).toBe(false);
    // The retained secret's ARN ends in a suffix the settings do not name.
    const secret = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:${REUSE.appSecret}-AbCdEf`;
    expect(may(tokenRole, 'secretsmanager:GetSecretValue', secret)).toBe(true);
    expect(may(tokenRole, 'secretsmanager:GetSecretValue', `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:other-AbCdEf`)).toBe(false);
    expect(may(scanRole, 'secretsmanager:GetSecretValue', secret)).toBe(false);
  });

  it('associates the retained Elastic IP with a NAT instance', () => {
    const { template } = buildStack({ ...REUSE, egress: 'nat-instance' });
    template.hasResourceProperties('AWS::EC2::EIPAssociation', { AllocationId: REUSE.elasticIpAllocationId });
    template.resourceCountIs('AWS::EC2::EIP', 0);
  });

  it('takes a complete secret ARN as it is', () => {
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:kfa-app-Xy12Ab`;
    const { template } = buildStack({ appSecret: arn, egress: 'none' });
    const tokenRole = idOf(template, 'AWS::IAM::Role', 'TokenTokenFunctionRole');
    expect(allows(roleStatements(template, tokenRole), { principal: { aws: tokenRole }, action: 'secretsmanager:GetSecretValue', resource: arn })).toBe(true);
  });

  it('creates and retains new ones when the settings name none', () => {
    const { template } = buildStack({ egress: 'nat-gateway' });
    const retained = (type: string) =>
      Object.values(template.findResources(type)).map((r) => (r as { DeletionPolicy?: string }).DeletionPolicy);
    expect(retained('AWS::DynamoDB::Table')).toEqual(['Retain', 'Retain']);
    expect(retained('AWS::EC2::EIP')).toEqual(['Retain']);
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', Properties: { Description: Match.stringLikeRegexp('app credentials') } });
    template.hasOutput('KiwoomEgressIpAllocationId', {});
  });

  it('rejects reuse settings that cannot be right, by name', () => {
    const problems = (context: Record<string, unknown>) => {
      try {
        readDeploySettings({ tryGetContext: (k) => context[k] });
        return [];
      } catch (error) {
        return (error as DeploySettingsError).problems.map((p) => p.key);
      }
    };
    expect(problems({ elasticIpAllocationId: 'eip-123' })).toEqual(['elasticIpAllocationId']);
    expect(problems({ elasticIpAllocationId: 'eipalloc-0a1b2c3d', egress: 'none' })).toEqual(['elasticIpAllocationId']);
    expect(problems({ elasticIpAddress: '3.35.100.200' })).toEqual(['elasticIpAddress']);
    expect(problems({ historyTableName: 'a b' })).toEqual(['historyTableName']);
  });
});

describe('SMS that arrives', () => {
  function smsAttributes(template: Template): Record<string, unknown> {
    const [resource] = Object.values(template.findResources('Custom::SnsSmsAttributes')) as { Properties: { Update: unknown } }[];
    if (resource === undefined) throw new Error('no SMS attributes resource');
    // The AwsCustomResource call is a JSON string with tokens joined in.
    const call = resolve(template, resource.Properties.Update) as string;
    return (JSON.parse(call) as { service: string; action: string; parameters: { attributes: Record<string, unknown> } }).parameters.attributes;
  }

  it('sets the account to Transactional SMS with the default $1 spend limit and delivery-status logging', () => {
    const { template } = buildStack({ egress: 'none' });
    const role = idOf(template, 'AWS::IAM::Role', 'AlertsSmsSettingsDeliveryStatusRole');
    expect(smsAttributes(template)).toEqual({
      DefaultSMSType: 'Transactional',
      MonthlySpendLimit: '1',
      DeliveryStatusIAMRole: `arn:${PARTITION}:iam::${ACCOUNT}:role/${role}`,
      DeliveryStatusSuccessSamplingRate: '100',
    });
  });

  it('takes the spend limit from the settings, in whole dollars', () => {
    const { template } = buildStack({ egress: 'none', smsMonthlySpendLimit: 20 });
    expect(smsAttributes(template)['MonthlySpendLimit']).toBe('20');
    expect(() => buildStack({ egress: 'none', smsMonthlySpendLimit: '2.5' })).toThrow(/smsMonthlySpendLimit/);
  });

  it('leaves the account’s SMS settings alone when no alert goes to a phone', () => {
    const { template } = buildStack({ egress: 'none', alertPhones: '' });
    template.resourceCountIs('Custom::SnsSmsAttributes', 0);
  });
});

describe('cost-allocation tags', () => {
  function untagged(stack: KiwoomForeignAlertsStack, value: string): string[] {
    const template = Template.fromStack(stack).toJSON()['Resources'] as Record<string, { Properties?: unknown }>;
    return stack.node
      .findAll()
      .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && TagManager.isTaggable(c))
      .map((c) => stack.getLogicalId(c))
      .filter((id) => {
        const text = JSON.stringify(template[id]?.Properties ?? {});
        return !(text.includes(`"Key":"${PROJECT_TAG_KEY}","Value":"${value}"`) || text.includes(`"${PROJECT_TAG_KEY}":"${value}"`));
      });
  }

  for (const egress of ['nat-gateway', 'nat-instance', 'none']) {
    it(`puts project=kiwoom-foreign-alerts on every taggable resource with egress=${egress}`, () => {
      const { stack } = buildStack({ egress });
      expect(untagged(stack, 'kiwoom-foreign-alerts')).toEqual([]);
    });
  }

  it('takes the tag value from the settings', () => {
    const { stack } = buildStack({ egress: 'none', projectTag: 'kfa-prod' });
    expect(untagged(stack, 'kfa-prod')).toEqual([]);
  });
});
