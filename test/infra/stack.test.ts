// Assertions on the synthesized template: one stack per egress variant, built
// once (bundling skipped), then read by many small tests.
import { beforeAll, describe, expect, it } from 'vitest';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { buildStack, resourceOf } from './synth.ts';
import { MAX_SCAN_ITERATIONS, RUN_TIMEOUT } from '../../infra/constructs/scan.ts';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Sid?: string };

function statementsOfRole(template: Template, rolePrefix: string): Statement[] {
  const role = resourceOf(template, 'AWS::IAM::Role', rolePrefix);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(`"${role.id}"`),
  ) as { Properties: { PolicyDocument: { Statement: Statement[] } } }[];
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function definitionOf(template: Template): Record<string, unknown> & { States: Record<string, Record<string, unknown>> } {
  const sm = resourceOf(template, 'AWS::StepFunctions::StateMachine', 'ScanStateMachine');
  const parts = (sm.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  // Tokens (ARNs) become placeholders; the structure is what these tests read.
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
}

describe('stack with the default egress (NAT gateway)', () => {
  let template: Template;
  beforeAll(() => {
    template = buildStack().template;
  });

  describe('egress', () => {
    it('routes the private subnets through one NAT gateway that uses the Elastic IP', () => {
      template.resourceCountIs('AWS::EC2::NatGateway', 1);
      const eip = resourceOf(template, 'AWS::EC2::EIP', 'EgressElasticIp');
      template.hasResourceProperties('AWS::EC2::NatGateway', {
        AllocationId: { 'Fn::GetAtt': [eip.id, 'AllocationId'] },
      });
    });

    it('outputs the Elastic IP as the address to register with Kiwoom', () => {
      const eip = resourceOf(template, 'AWS::EC2::EIP', 'EgressElasticIp');
      template.hasOutput('KiwoomEgressIp', { Value: { 'Fn::GetAtt': [eip.id, 'PublicIp'] } });
    });

    it('keeps the Elastic IP when the stack is destroyed, since the user registered it', () => {
      template.hasResource('AWS::EC2::EIP', { DeletionPolicy: 'Retain' });
    });

    it('puts both functions in the private subnets', () => {
      template.resourcePropertiesCountIs(
        'AWS::Lambda::Function',
        { VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() } },
        2,
      );
    });

    it('keeps DynamoDB traffic off the NAT with a gateway endpoint', () => {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('dynamodb')])] },
      });
    });

    it('logs VPC flows', () => {
      template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL' });
    });

    it('lets the functions out on HTTPS only', () => {
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })],
      });
    });
  });

  describe('tables', () => {
    it('keys the watchlist by stk_cd', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'stk_cd', KeyType: 'HASH' }],
      });
    });

    it('gives the history table pk/sk and the sparse unsent index', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'unsent',
            KeySchema: [
              { AttributeName: 'unsent', KeyType: 'HASH' },
              { AttributeName: 'created_at', KeyType: 'RANGE' },
            ],
          }),
        ],
      });
    });

    it('makes both tables on-demand, encrypted, with point-in-time recovery', () => {
      template.resourcePropertiesCountIs(
        'AWS::DynamoDB::Table',
        {
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        },
        2,
      );
    });

    it('retains both tables on cdk destroy', () => {
      const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
      expect(tables.map((t) => [t.DeletionPolicy, t.UpdateReplacePolicy])).toEqual([
        ['Retain', 'Retain'],
        ['Retain', 'Retain'],
      ]);
    });

    it('outputs both table names', () => {
      template.hasOutput('WatchlistTableName', {});
      template.hasOutput('HistoryTableName', {});
    });
  });

  describe('alert topics', () => {
    it('encrypts the alert topic with the customer-managed key', () => {
      const key = resourceOf(template, 'AWS::KMS::Key', 'AlertsTopicKey');
      template.hasResourceProperties('AWS::SNS::Topic', {
        DisplayName: 'Kiwoom foreign alerts',
        KmsMasterKeyId: { 'Fn::GetAtt': [key.id, 'Arn'] },
      });
    });

    it('lets SNS and CloudWatch use the topic key, with rotation on', () => {
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'sns.amazonaws.com' }, Action: ['kms:GenerateDataKey*', 'kms:Decrypt'] }),
            Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } }),
          ]),
        },
      });
    });

    it('denies publishing over plain HTTP on both topics', () => {
      template.resourcePropertiesCountIs(
        'AWS::SNS::TopicPolicy',
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        },
        2,
      );
    });

    it('subscribes each alert email without a filter', () => {
      template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email', FilterPolicy: Match.absent() }, 3);
    });

    it('sends SMS only for critical alerts by default', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sms',
        Endpoint: '+821012345678',
        FilterPolicy: { severity: ['critical'] },
      });
    });

    it('outputs the alert topic ARN', () => {
      template.hasOutput('AlertTopicArn', {});
    });
  });

  describe('secrets', () => {
    it('creates the app credentials secret with a placeholder and retains it', () => {
      template.hasResource('AWS::SecretsManager::Secret', {
        DeletionPolicy: 'Retain',
        Properties: {
          GenerateSecretString: Match.objectLike({
            SecretStringTemplate: '{"appkey":"replace-with-your-kiwoom-appkey"}',
            GenerateStringKey: 'secretkey',
          }),
        },
      });
    });

    it('outputs the app credentials secret ARN and name', () => {
      template.hasOutput('KiwoomAppSecretArn', {});
      template.hasOutput('KiwoomAppSecretName', {});
    });
  });

  describe('schedules', () => {
    it('starts the scan at 18:30 Asia/Seoul, Monday to Friday', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(30 18 ? * MON-FRI *)',
        ScheduleExpressionTimezone: 'Asia/Seoul',
        Target: Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^ScanStateMachine') }, Input: '{}' }),
      });
    });

    it('ensures a token valid for 6 hours at 17:30 Asia/Seoul on scan days', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(30 17 ? * MON,TUE,WED,THU,FRI *)',
        ScheduleExpressionTimezone: 'Asia/Seoul',
        Target: Match.objectLike({ Input: '{"action":"ensure","min_valid_minutes":360}' }),
      });
    });

    it('checks the token hourly and renews below 2 hours', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(5 * * * ? *)',
        ScheduleExpressionTimezone: 'Asia/Seoul',
        Target: Match.objectLike({ Input: '{"action":"ensure","min_valid_minutes":120}' }),
      });
    });

    it('does not let Lambda repeat a failed scheduled token run (a rejected app key must not be retried)', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: Match.stringLikeRegexp('^TokenTokenFunction') },
        MaximumRetryAttempts: 0,
      });
    });

    it('sends undeliverable schedule invocations to the dead-letter queue', () => {
      const dlq = resourceOf(template, 'AWS::SQS::Queue', 'DeadLetters');
      template.resourcePropertiesCountIs(
        'AWS::Scheduler::Schedule',
        { Target: Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq.id, 'Arn'] } } }) },
        3,
      );
    });

    it('follows a scan cron given in context, and moves the token schedule an hour before it', () => {
      const { template: custom } = buildStack({ scanCron: 'cron(0 20 ? * MON-SAT *)' });
      custom.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 20 ? * MON-SAT *)' });
      custom.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 19 ? * MON,TUE,WED,THU,FRI,SAT *)',
      });
    });
  });

  describe('scan state machine', () => {
    it('feeds each scan output back as the next input until the scan says finished', () => {
      const { States } = definitionOf(template);
      expect(States['ScanSlice']).toMatchObject({ InputPath: '$.scan', ResultPath: '$.scan', Next: 'CountIteration' });
      expect(States['Done?']).toMatchObject({
        Choices: expect.arrayContaining([{ Variable: '$.scan.outcome', StringEquals: 'finished', Next: 'RunSummary' }]),
        Default: 'ScanSlice',
      });
    });

    it('names the run after the execution in the first state, before any slice runs', () => {
      const { StartAt, States } = definitionOf(template);
      expect(StartAt).toBe('StartRun');
      expect(States['StartRun']).toMatchObject({
        Type: 'Pass',
        Parameters: { iteration: 0, scan: { 'run_id.$': '$$.Execution.Name', 'run_started_at.$': '$$.Execution.StartTime' } },
        Next: 'ScanSlice',
      });
    });

    it('times a run out the same evening', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        DefinitionString: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`"TimeoutSeconds":${RUN_TIMEOUT.toSeconds()}`)])],
        }),
      });
      expect(RUN_TIMEOUT.toHours()).toBeLessThanOrEqual(4);
    });

    it('stops the loop after the maximum number of iterations', () => {
      const { States } = definitionOf(template);
      expect(States['CountIteration']?.['Parameters']).toMatchObject({ 'iteration.$': 'States.MathAdd($.iteration, 1)' });
      expect(States['Done?']?.['Choices']).toContainEqual({
        Variable: '$.iteration',
        NumericGreaterThanEquals: MAX_SCAN_ITERATIONS,
        Next: 'LoopGuardTripped',
      });
      expect(MAX_SCAN_ITERATIONS * 15).toBeLessThanOrEqual(RUN_TIMEOUT.toMinutes());
    });

    it('retries a failed slice, then records the run in the dead-letter queue and fails', () => {
      const { States } = definitionOf(template);
      expect(States['ScanSlice']?.['Retry']).toContainEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }));
      expect(States['ScanSlice']?.['Catch']).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailedRun' }]);
      expect(States['RecordFailedRun']).toMatchObject({ Resource: expect.stringContaining('sqs:sendMessage'), Next: 'RunFailed' });
      expect(States['RunFailed']).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    });

    it('ends a finished run with a summary', () => {
      const { States } = definitionOf(template);
      expect(States['RunSummary']).toMatchObject({
        Parameters: { 'summary.$': '$.scan.summary', 'iterations.$': '$.iteration' },
        Next: 'RunFinished',
      });
    });

    it('logs everything to a KMS-encrypted log group and traces with X-Ray', () => {
      const key = resourceOf(template, 'AWS::KMS::Key', 'AlertsTopicKey');
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/'),
        KmsKeyId: { 'Fn::GetAtt': [key.id, 'Arn'] },
      });
    });
  });

  describe('dead-letter queue', () => {
    it('is encrypted and refuses plain HTTP', () => {
      template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    });
  });

  describe('functions', () => {
    it('run Node.js 24 on arm64 as ES modules, with log groups that expire', () => {
      template.resourcePropertiesCountIs(
        'AWS::Lambda::Function',
        { Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' },
        3,
      );
      // scan, token, deliver, VPC flow logs, the SMS custom resource
      template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 5);
    });

    it('run every Lambda of the stack on Node.js 24, the custom resource’s included', () => {
      const runtimes = Object.values(template.findResources('AWS::Lambda::Function')).map(
        (f) => (f as { Properties: { Runtime: string } }).Properties.Runtime,
      );
      expect(runtimes.length).toBeGreaterThanOrEqual(3);
      expect(new Set(runtimes)).toEqual(new Set(['nodejs24.x']));
    });

    it('give the scan 15 minutes, 512 MB, no reserved concurrency and its settings', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Timeout: 900,
        MemorySize: 512,
        ReservedConcurrentExecutions: Match.absent(),
        Environment: {
          Variables: Match.objectLike({
            WATCHLIST_TABLE: Match.anyValue(),
            HISTORY_TABLE: Match.anyValue(),
            ALERT_TOPIC_ARN: Match.anyValue(),
            KIWOOM_BASE_URL: 'https://api.kiwoom.com',
            KIWOOM_TOKEN_SECRET_ARN: Match.anyValue(),
            TOKEN_FUNCTION_NAME: Match.anyValue(),
            LOG_LEVEL: 'INFO',
            POWERTOOLS_SERVICE_NAME: 'kfa-scan',
            POWERTOOLS_METRICS_NAMESPACE: 'KiwoomForeignAlerts',
            KIWOOM_APP_SECRET_ARN: Match.absent(),
          }),
        },
      });
    });

    it('pass kiwoomRateLimit and logLevel from context to the scan', () => {
      const { template: custom } = buildStack({ kiwoomRateLimit: '2', logLevel: 'debug' });
      custom.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ KIWOOM_RATE_LIMIT: '2', LOG_LEVEL: 'DEBUG', POWERTOOLS_SERVICE_NAME: 'kfa-scan' }) },
      });
    });
  });

  describe('IAM, per function', () => {
    it('grants a function role "*" only for the network-interface actions Lambda needs in the VPC', () => {
      for (const prefix of ['ScanScanFunctionRole', 'TokenTokenFunctionRole']) {
        const onEverything = statementsOfRole(template, prefix).filter((s) => [s.Resource].flat().includes('*'));
        expect(onEverything.flatMap(actionsOf).sort()).toEqual(
          [
            'ec2:AssignPrivateIpAddresses',
            'ec2:CreateNetworkInterface',
            'ec2:DeleteNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:UnassignPrivateIpAddresses',
          ].sort(),
        );
      }
    });

    it('lets the scan read the watchlist, read/write the history and query the unsent index, nothing more on DynamoDB', () => {
      const statements = statementsOfRole(template, 'ScanScanFunctionRole');
      const watchlist = resourceOf(template, 'AWS::DynamoDB::Table', 'TablesWatchlist');
      const history = resourceOf(template, 'AWS::DynamoDB::Table', 'TablesHistory');
      const on = (id: string) => statements.filter((s) => JSON.stringify(s.Resource).includes(`"${id}"`));
      expect(on(watchlist.id).flatMap(actionsOf).sort()).toEqual(
        ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'].sort(),
      );
      expect(on(history.id).flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
      expect(statements).toContainEqual(
        expect.objectContaining({
          Action: 'dynamodb:Query',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [history.id, 'Arn'] }, '/index/unsent']] },
        }),
      );
    });

    it('lets the scan publish to the alert topic with its key, read the token and ask the token function', () => {
      const statements = statementsOfRole(template, 'ScanScanFunctionRole');
      const topic = resourceOf(template, 'AWS::SNS::Topic', 'AlertsAlertTopic');
      const key = resourceOf(template, 'AWS::KMS::Key', 'AlertsTopicKey');
      const tokenSecret = resourceOf(template, 'AWS::SecretsManager::Secret', 'Token8');
      const tokenFn = resourceOf(template, 'AWS::Lambda::Function', 'TokenTokenFunction');
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Action: 'sns:Publish', Resource: { Ref: topic.id } }),
          expect.objectContaining({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': [key.id, 'Arn'] } }),
          expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: { Ref: tokenSecret.id } }),
          expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [tokenFn.id, 'Arn'] } }),
        ]),
      );
    });

    it('keeps the app credentials away from the scan', () => {
      const appSecret = resourceOf(template, 'AWS::SecretsManager::Secret', 'TokenAppCredentials');
      expect(JSON.stringify(statementsOfRole(template, 'ScanScanFunctionRole'))).not.toContain(appSecret.id);
    });

    it('lets the token function read the app credentials, read/write the token and its issuer lock item, and nothing else', () => {
      const appSecret = resourceOf(template, 'AWS::SecretsManager::Secret', 'TokenAppCredentials');
      const tokenSecret = resourceOf(template, 'AWS::SecretsManager::Secret', 'Token8');
      const history = resourceOf(template, 'AWS::DynamoDB::Table', 'TablesHistory');
      const statements = statementsOfRole(template, 'TokenTokenFunctionRole');
      expect(statements.map((s) => ({ Action: s.Action, Resource: s.Resource }))).toEqual([
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^TokenTokenFunctionLogs/), 'Arn'] } },
        { Action: expect.arrayContaining(['ec2:CreateNetworkInterface']), Resource: '*' },
        { Action: 'secretsmanager:GetSecretValue', Resource: { Ref: appSecret.id } },
        { Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], Resource: { Ref: tokenSecret.id } },
        { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': [history.id, 'Arn'] } },
      ]);
    });

    it('limits the token function to the issuer lock item of the History table, by its key', () => {
      const lock = statementsOfRole(template, 'TokenTokenFunctionRole').find((s) => s.Sid === 'IssuerLock') as
        | (Statement & { Condition?: unknown })
        | undefined;
      expect(lock?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TOKENLOCK#*'] } });
      const history = resourceOf(template, 'AWS::DynamoDB::Table', 'TablesHistory');
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Environment: { Variables: Match.objectLike({ HISTORY_TABLE: { Ref: history.id }, KIWOOM_TOKEN_SECRET_ARN: Match.anyValue() }) },
        Description: Match.stringLikeRegexp('one issuer of Kiwoom tokens'),
      });
    });
  });

});

describe('stack with a NAT instance', () => {
  let template: Template;
  beforeAll(() => {
    template = buildStack({ egress: 'nat-instance' }).template;
  });

  it('runs a t4g.nano NAT instance instead of a NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::EC2::Instance', {
      InstanceType: 't4g.nano',
      SourceDestCheck: false,
      ImageId: 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
    });
  });

  it('associates the Elastic IP with the NAT instance', () => {
    const eip = resourceOf(template, 'AWS::EC2::EIP', 'EgressElasticIp');
    const instance = Object.keys(template.findResources('AWS::EC2::Instance'))[0];
    template.hasResourceProperties('AWS::EC2::EIPAssociation', {
      AllocationId: { 'Fn::GetAtt': [eip.id, 'AllocationId'] },
      InstanceId: { Ref: instance },
    });
    template.hasOutput('KiwoomEgressIp', { Value: { 'Fn::GetAtt': [eip.id, 'PublicIp'] } });
  });

  it('encrypts the NAT instance root volume', () => {
    template.hasResourceProperties('AWS::EC2::Instance', {
      BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
    });
  });

  it('accepts HTTPS only from the functions security group', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EgressFunctionsSecurityGroup'), 'GroupId'] },
    });
  });
});

describe('stack without egress (mock accounts)', () => {
  let template: Template;
  beforeAll(() => {
    template = buildStack({ egress: 'none' }).template;
  });

  it('creates no VPC, NAT or Elastic IP', () => {
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Instance', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
  });

  it('runs the functions outside any VPC', () => {
    // The two Kiwoom functions, the deliver function (never in the VPC) and the SMS custom resource.
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { VpcConfig: Match.absent() }, 4);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { VpcConfig: Match.anyValue() }, 0);
  });

  it('says in the output that there is no fixed IP', () => {
    template.hasOutput('KiwoomEgressIp', { Value: Match.stringLikeRegexp('^none') });
  });
});
