// One way to build the project's Lambdas: Node.js 24 on arm64, bundled by the
// locally installed esbuild (no Docker), ESM, Powertools settings, its own log
// group with a retention, and its own role that may write only to that group.
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const METRICS_NAMESPACE = 'KiwoomForeignAlerts';
/** Every Lambda of the project (Node.js 22 reaches end of life in April 2027); local tools still run on Node 20+. */
export const PROJECT_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** What Lambda needs to attach a function to a VPC (the managed policy's actions minus its logs:*). */
export const VPC_NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** Where a function runs: inside the VPC behind the fixed egress IP, or not. */
export interface FunctionPlacement {
  vpc?: ec2.IVpc;
  vpcSubnets?: ec2.SubnetSelection;
  securityGroups?: ec2.ISecurityGroup[];
}

export interface ProjectFunctionProps {
  /** Path from the repository root, e.g. functions/handlers/scan.ts. */
  entry: string;
  description: string;
  /** POWERTOOLS_SERVICE_NAME, also the `service` dimension of every metric. */
  serviceName: string;
  timeout: Duration;
  memorySize: number;
  logLevel: string;
  environment: Record<string, string>;
  placement: FunctionPlacement;
}

export class ProjectFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.serviceName}: logs to its own group, plus the grants the stack adds`,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every group): this
    // function's own group only. The group exists before the function does.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    if (props.placement.vpc !== undefined) {
      // Instead of AWSLambdaVPCAccessExecutionRole, which also grants
      // logs:CreateLogGroup/CreateLogStream/PutLogEvents on every group: only
      // the network-interface actions Lambda needs to attach the function.
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'AttachToVpc',
          actions: VPC_NETWORK_INTERFACE_ACTIONS,
          resources: ['*'],
        }),
      );
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the EC2 network-interface actions Lambda needs to place the function in the VPC behind the fixed egress IP ' +
          '(ec2:CreateNetworkInterface, Describe*, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses): the Describe actions support no resource ARN, ' +
          'and Lambda checks the others against "*" when the function is created.',
      });
    }

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${REPO_ROOT}${props.entry}`,
      handler: 'handler',
      description: props.description,
      runtime: PROJECT_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      ...props.placement,
      environment: {
        LOG_LEVEL: props.logLevel,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node24',
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        // Some CommonJS dependencies call require() for Node built-ins, which
        // an ES module bundle lacks.
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        // The Node.js 24 runtime ships AWS SDK v3; keeping it out keeps the bundles small.
        externalModules: ['@aws-sdk/*'],
      },
    });
  }
}
