import { readStaticEgress } from '../../bin/app';
import { ConfigError } from '../../lambda/errors';
import type { StaticEgress } from '../../lib/static-egress';
import { logicalId, resourcesOf, type SynthResult, single, synth, testApp } from './stack-fixture';

describe('StaticEgress', () => {
  let on: SynthResult;
  let egress: StaticEgress;
  let ids: { eip: string; vpc: string; sg: string; flowLogs: string; fn: string; role: string; defaultPolicy: string };
  let subnets: {
    public: { id: string; Properties: Record<string, unknown> };
    private: { id: string; Properties: Record<string, unknown> };
  };

  beforeAll(() => {
    on = synth({ keyHealthStaticEgress: 'true' });
    if (!on.stack.egress) throw new Error('expected the stack to have static egress');
    egress = on.stack.egress;
    const { checker } = on.stack;
    ids = {
      eip: on.stack.getLogicalId(egress.address),
      vpc: logicalId(egress.vpc),
      sg: logicalId(egress.securityGroup),
      flowLogs: logicalId(egress.flowLogGroup),
      fn: logicalId(checker.function),
      role: logicalId(checker.role),
      defaultPolicy: logicalId(checker.role.node.findChild('DefaultPolicy')),
    };
    const all = resourcesOf(on.json, 'AWS::EC2::Subnet');
    const byType = (type: string) =>
      all.filter((s) => JSON.stringify(s.Properties.Tags).includes(`"aws-cdk:subnet-type","Value":"${type}"`));
    const [publicSubnet, privateSubnet] = [byType('Public'), byType('Private')].map((found) => {
      if (found.length !== 1) throw new Error(`expected one subnet of a type, found ${found.length}`);
      return found[0] as { id: string; Properties: Record<string, unknown> };
    });
    subnets = { public: publicSubnet as typeof subnets.public, private: privateSubnet as typeof subnets.private };
    expect(all).toHaveLength(2);
  });

  it('builds one VPC with a public and a private subnet in the same single availability zone, no public IPs on launch', () => {
    expect(single(on.json, 'AWS::EC2::VPC').id).toBe(ids.vpc);
    const firstZone = { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] };
    for (const subnet of [subnets.public, subnets.private])
      expect(subnet.Properties).toMatchObject({ VpcId: `<${ids.vpc}>`, AvailabilityZone: firstZone, MapPublicIpOnLaunch: false });
  });

  it('routes the private subnet to the internet through one NAT gateway holding the one Elastic IP', () => {
    expect(single(on.json, 'AWS::EC2::EIP')).toMatchObject({ id: ids.eip, Properties: { Domain: 'vpc' } });
    const nat = single(on.json, 'AWS::EC2::NatGateway');
    expect(nat.Properties).toMatchObject({ AllocationId: `<${ids.eip}.AllocationId>`, SubnetId: `<${subnets.public.id}>` });
    const routes = resourcesOf(on.json, 'AWS::EC2::Route').map((r) => r.Properties);
    expect(routes).toContainEqual(expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: `<${nat.id}>` }));
    expect(routes.filter((r) => 'NatGatewayId' in r)).toHaveLength(1);
    single(on.json, 'AWS::EC2::InternetGateway');
  });

  it('outputs the Elastic IP, saying to add it to the exchange keys’ allow-lists', () => {
    const output = on.json.Outputs.EgressIp as { Value: unknown; Description?: string };
    expect(output.Value).toBe(`<${ids.eip}.PublicIp>`);
    expect(output.Description).toMatch(/add it to each exchange key's IP allow-list/);
  });

  it('places the function in the private subnet with the egress security group only', () => {
    const fn = on.json.Resources[ids.fn] as { Properties: Record<string, unknown> };
    expect(fn.Properties.VpcConfig).toEqual({ SubnetIds: [`<${subnets.private.id}>`], SecurityGroupIds: [`<${ids.sg}.GroupId>`] });
  });

  it('lets the security group send HTTPS and nothing else, and receive nothing', () => {
    const sg = single(on.json, 'AWS::EC2::SecurityGroup');
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'HTTPS to exchange and AWS APIs', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' },
    ]);
    expect(sg.Properties).not.toHaveProperty('SecurityGroupIngress');
    expect(resourcesOf(on.json, 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
    expect(resourcesOf(on.json, 'AWS::EC2::SecurityGroupEgress')).toEqual([]);
  });

  it('logs all of the VPC’s flows to a log group kept 30 days and removed with the stack', () => {
    const flowLog = single(on.json, 'AWS::EC2::FlowLog');
    expect(flowLog.Properties).toMatchObject({
      ResourceId: `<${ids.vpc}>`,
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: `<${ids.flowLogs}>`,
    });
    expect(on.json.Resources[ids.flowLogs]).toMatchObject({ Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Delete' });
  });

  it('reaches DynamoDB through a gateway endpoint on the private route table and adds no paid interface endpoint', () => {
    const endpoint = single(on.json, 'AWS::EC2::VPCEndpoint');
    expect(endpoint.Properties).toMatchObject({
      VpcEndpointType: 'Gateway',
      ServiceName: 'com.amazonaws.<AWS::Region>.dynamodb',
      VpcId: `<${ids.vpc}>`,
    });
    const privateRoutes = resourcesOf(on.json, 'AWS::EC2::SubnetRouteTableAssociation')
      .filter((a) => a.Properties.SubnetId === `<${subnets.private.id}>`)
      .map((a) => a.Properties.RouteTableId);
    expect(endpoint.Properties.RouteTableIds).toEqual(privateRoutes);
  });

  it('grants exactly the network-interface actions, in a policy of their own that the function is created after', () => {
    const policies = resourcesOf(on.json, 'AWS::IAM::Policy').filter((p) => (p.Properties.Roles as string[]).includes(`<${ids.role}>`));
    const eni = policies.find((p) => p.id !== ids.defaultPolicy);
    expect(policies).toHaveLength(2);
    expect(eni?.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ManageNetworkInterfaces',
          Effect: 'Allow',
          Action: [
            'ec2:AssignPrivateIpAddresses',
            'ec2:CreateNetworkInterface',
            'ec2:DeleteNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Resource: '*',
        },
      ],
    });
    const fn = on.template.toJSON().Resources[ids.fn] as { DependsOn: string[] };
    expect(fn.DependsOn).toEqual(expect.arrayContaining([eni?.id, ids.defaultPolicy]));
    expect(on.json.Resources[ids.role]?.Properties).not.toHaveProperty('ManagedPolicyArns');
  });

  it('keeps every other statement of the function’s role free of wildcard resources', () => {
    const document = on.json.Resources[ids.defaultPolicy]?.Properties.PolicyDocument as {
      Statement: Array<{ Resource: string | string[] }>;
    };
    expect(document.Statement.length).toBeGreaterThan(0);
    expect(document.Statement.flatMap((s) => [s.Resource].flat()).filter((r) => r.includes('*'))).toEqual([]);
  });
});

describe('readStaticEgress', () => {
  it.each([
    [undefined, false],
    ['false', false],
    [false, false],
    ['true', true],
    [true, true],
  ])('reads %j as %j', (value, expected) => {
    expect(readStaticEgress(testApp({ keyHealthStaticEgress: value }))).toBe(expected);
  });

  it.each(['yes', 'TRUE', '1', '', 1])('stops synth on %j, naming the context key and the accepted values', (value) => {
    const build = () => synth({ keyHealthStaticEgress: value });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(
      `Invalid context:\n  - keyHealthStaticEgress: must be true or false (-c keyHealthStaticEgress=true), got ${JSON.stringify(value)}`,
    );
  });
});
