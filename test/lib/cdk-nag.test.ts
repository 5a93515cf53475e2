import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildKeyHealthApp } from '../../bin/app';
import type { KeyHealthStack } from '../../lib/key-health-stack';
import { CDK_JSON_CONTEXT, TEST_CONFIG } from './stack-fixture';

interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
  }>;
}

/** Synthesizes with cdk-nag's AwsSolutions pack and returns every unacknowledged finding as `rule at path`. */
function nagFindings(context: Record<string, unknown>, addExtra?: (stack: Stack) => void): string[] {
  const outdir = mkdtempSync(join(tmpdir(), 'key-health-nag-'));
  const reportFile = join(outdir, 'validation-report.json');
  try {
    const app = new App({
      outdir,
      context: { ...CDK_JSON_CONTEXT, keyHealth: TEST_CONFIG, 'aws:cdk:bundling-stacks': [], ...context },
      builtinCloudFormationValidation: false,
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = buildKeyHealthApp(app);
    addExtra?.(stack);
    try {
      app.synth();
    } catch (error) {
      // A failed validation throws after writing its report; anything else is a real error.
      if (!existsSync(reportFile)) throw error;
    }
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport;
    return report.pluginReports.flatMap((plugin) =>
      plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing to acknowledge in the stack, with or without a customer key for the secrets', () => {
    expect(nagFindings({})).toEqual([]);
    expect(nagFindings({ keyHealthKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0b5a7a9e-6a6f-4c1e-9f1e-2b7c4d0a1e11' })).toEqual([]);
  });

  it('finds nothing to acknowledge with static egress on', () => {
    expect(nagFindings({ keyHealthStaticEgress: 'true' })).toEqual([]);
  });

  it('still reports a wildcard resource anywhere but the network-interface policy when static egress is on', () => {
    const findings = nagFindings({ keyHealthStaticEgress: 'true' }, (stack) =>
      (stack as KeyHealthStack).checker.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] })),
    );
    expect(findings).toEqual(['AwsSolutions-IAM5[Resource::*] at KeyHealth/Checker/Role/DefaultPolicy/Resource']);
  });

  it('is active: a topic without an SSL-only policy is reported', () => {
    expect(nagFindings({}, (stack) => new sns.Topic(stack, 'Plain'))).toEqual(['AwsSolutions-SNS3 at KeyHealth/Plain/Resource']);
  });
});
