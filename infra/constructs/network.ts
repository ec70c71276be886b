// The fixed egress IP. A live-account Kiwoom app key works only from public
// IPs registered with Kiwoom (8050 otherwise), and a token only from the IP it
// was issued to (8010), so the token function and the scan leave through one
// Elastic IP. Mock accounts and keys without an allow-list need none of this.
import { CfnOutput, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { EgressMode, ReusedResources } from '../settings.ts';
import { natMachineImage, natUserData } from './nat-instance.ts';
import type { FunctionPlacement } from './node-function.ts';

export interface EgressProps {
  mode: EgressMode;
  /** `ami-…` or `resolve:ssm:…` for the NAT instance. */
  natInstanceAmi: string;
  /** An Elastic IP a destroyed deployment retained, to use instead of a new one. */
  reuse: Pick<ReusedResources, 'elasticIpAllocationId' | 'elasticIpAddress'>;
}

export class Egress extends Construct {
  readonly mode: EgressMode;
  readonly vpc?: ec2.Vpc;
  /** The functions' security group: HTTPS out, nothing in. */
  readonly functionsSecurityGroup?: ec2.SecurityGroup;
  /** The address to register with Kiwoom (a token in the template). */
  readonly egressIp?: string;
  /** egress=nat-instance: the instance, watched and recovered by the monitoring. */
  readonly natInstance?: ec2.Instance;

  constructor(scope: Construct, id: string, props: EgressProps) {
    super(scope, id);
    this.mode = props.mode;

    if (props.mode === 'none') {
      new CfnOutput(scope, 'KiwoomEgressIp', {
        value: 'none (egress=none: functions run outside any VPC, on shared Lambda addresses that change)',
        description: 'No fixed IP: fine for mock accounts and keys without an IP allow-list',
      });
      return;
    }

    const ip = this.elasticIp(props.reuse);

    const natProvider =
      props.mode === 'nat-gateway'
        ? ec2.NatProvider.gateway({ eipAllocationIds: [ip.allocationId] })
        : ec2.NatProvider.instanceV2({
            instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
            machineImage: natMachineImage(props.natInstanceAmi),
            userData: natUserData(),
            // Inbound is opened below for the functions' security group only.
            defaultAllowedTraffic: ec2.NatTrafficDirection.OUTBOUND_ONLY,
          });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/20'),
      // Fixed, so synth needs no AZ lookup (env-agnostic stack, offline synth).
      maxAzs: 2,
      natGateways: 1,
      natGatewayProvider: natProvider,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
    });

    // DynamoDB traffic stays off the NAT (a gateway endpoint is free). No
    // interface endpoints: each costs about $19/month in Seoul (2 AZs ×
    // $0.013/h), while the few KB a day of SNS, Secrets Manager, Lambda and
    // CloudWatch calls cost well under a cent through the NAT.
    this.vpc.addGatewayEndpoint('DynamoDbEndpoint', {
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
    });

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.functionsSecurityGroup = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: 'Kiwoom functions: HTTPS out only (Kiwoom and AWS APIs)',
      allowAllOutbound: false,
    });
    this.functionsSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Kiwoom and AWS APIs');

    if (natProvider instanceof ec2.NatInstanceProviderV2) {
      natProvider.connections.allowFrom(this.functionsSecurityGroup, ec2.Port.tcp(443), 'HTTPS from the functions');
      const [instance] = natProvider.gatewayInstances;
      if (instance === undefined) throw new Error('NAT instance provider configured no instance');
      new ec2.CfnEIPAssociation(this, 'ElasticIpAssociation', {
        allocationId: ip.allocationId,
        instanceId: instance.instanceId,
      });
      this.natInstance = instance;
      const cfnInstance = instance.node.defaultChild as ec2.CfnInstance;
      // Set on the L1 (not an override) so cdk-nag sees it: an encrypted root volume.
      cfnInstance.blockDeviceMappings = [
        { deviceName: '/dev/xvda', ebs: { encrypted: true, volumeType: 'gp3', deleteOnTermination: true } },
      ];
      cfnInstance.monitoring = false;
      Validations.of(instance).acknowledge({
        id: 'AwsSolutions-EC28',
        reason:
          'Detailed monitoring would cost about $2.10/month, more than half of the t4g.nano NAT instance itself; 5-minute basic metrics suffice for a NAT that carries one evening scan.',
      });
      Validations.of(instance).acknowledge({
        id: 'AwsSolutions-EC29',
        reason:
          'The NAT instance is stateless and owned by CloudFormation (replaced on AMI or type changes); termination protection would only block those updates. The Elastic IP, the state that matters, is retained.',
      });
    }

    this.egressIp = ip.address;
    new CfnOutput(scope, 'KiwoomEgressIp', {
      value: ip.address,
      description: 'Register this IP with Kiwoom for the live-account app key (every call leaves through it)',
    });
    new CfnOutput(scope, 'KiwoomEgressIpAllocationId', {
      value: ip.allocationId,
      description: 'elasticIpAllocationId to reuse this address after cdk destroy (README, Remove it)',
    });
  }

  /** The retained Elastic IP of an earlier deployment, or a new one that is retained in turn. */
  private elasticIp(reuse: EgressProps['reuse']): { allocationId: string; address: string } {
    if (reuse.elasticIpAllocationId !== undefined) {
      return {
        allocationId: reuse.elasticIpAllocationId,
        address:
          reuse.elasticIpAddress ??
          `the address of ${reuse.elasticIpAllocationId} (aws ec2 describe-addresses --allocation-ids ${reuse.elasticIpAllocationId})`,
      };
    }
    const ip = new ec2.CfnEIP(this, 'ElasticIp', {
      domain: 'vpc',
      tags: [{ key: 'Name', value: 'kiwoom-egress' }],
    });
    // The user registered this address with Kiwoom; losing it on a stack
    // update or a destroy would break every call until they register a new one.
    ip.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return { allocationId: ip.attrAllocationId, address: ip.attrPublicIp };
  }

  /** Where the functions that call Kiwoom run. */
  get placement(): FunctionPlacement {
    if (this.vpc === undefined || this.functionsSecurityGroup === undefined) return {};
    return {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.functionsSecurityGroup],
    };
  }
}
