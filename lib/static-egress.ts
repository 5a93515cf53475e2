import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Properties of {@link StaticEgress}. */
export interface StaticEgressProps {
  /**
   * How long the VPC flow log records are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * What happens to the flow log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly flowLogRemovalPolicy?: RemovalPolicy;
}

/**
 * One fixed public IPv4 address for outbound traffic: a VPC in one availability zone whose private
 * subnet reaches the internet through one NAT gateway holding an Elastic IP, a security group that
 * allows outbound HTTPS only, a free DynamoDB gateway endpoint, and flow logs to CloudWatch Logs.
 */
export class StaticEgress extends Construct {
  /** The VPC. */
  readonly vpc: ec2.Vpc;
  /** The private subnets (one) whose outbound traffic leaves from {@link address}. */
  readonly subnets: ec2.SubnetSelection;
  /** The security group for what runs in {@link subnets}: outbound TCP 443 to anywhere, nothing inbound. */
  readonly securityGroup: ec2.SecurityGroup;
  /** The Elastic IP of the NAT gateway: the address exchanges see. */
  readonly address: ec2.CfnEIP;
  /** The group receiving the VPC's flow logs. */
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StaticEgressProps = {}) {
    super(scope, id);

    // Allocated explicitly (not by the NAT gateway) so that its address can be a stack output.
    this.address = new ec2.CfnEIP(this, 'Address', { domain: 'vpc' });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      // One zone, one NAT gateway: a second would double the largest cost for availability a
      // five-minute check does not need, and would add a second address to every allow-list.
      maxAzs: 1,
      natGateways: 1,
      natGatewayProvider: ec2.NatProvider.gateway({ eipAllocationIds: [this.address.attrAllocationId] }),
      subnetConfiguration: [
        // Only the NAT gateway lives here; it brings its own address.
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
      // Restricting the default group takes a custom-resource Lambda; nothing here uses that group.
      restrictDefaultSecurityGroup: false,
    });
    this.subnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.flowLogRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    // Free, and keeps the alert state traffic off the NAT gateway (billed per GB) and the internet.
    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [this.subnets] });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'key-health: outbound HTTPS only (exchange APIs, Secrets Manager, SNS, DynamoDB)',
      allowAllOutbound: false,
    });
    // DNS to the VPC resolver needs no rule: security groups do not filter Amazon-provided DNS.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to exchange and AWS APIs');
  }
}
