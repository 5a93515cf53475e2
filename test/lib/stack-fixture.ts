import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildKeyHealthApp } from '../../bin/app';
import type { KeyHealthStack } from '../../lib/key-health-stack';

const CDK_JSON = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

/** The context of cdk.json, which `new App()` does not read by itself. */
export const CDK_JSON_CONTEXT: Readonly<Record<string, unknown>> = CDK_JSON.context;

/** The README's example config (examples/my-keys.json), with its example contacts. */
export const EXAMPLE_CONFIG = JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'my-keys.json'), 'utf8')) as Record<
  string,
  unknown
>;

/** A team's contacts: not example addresses, so the stack subscribes them (UK numbers 020 7946 0xxx are reserved for drama). */
export const TEAM_ALERTS = { emails: ['oncall@trading-desk.net'], phones: ['+442079460958'], smsMinSeverity: 'critical' };

/** The example config with a team's contacts: what most stack tests deploy. */
export const TEST_CONFIG: Record<string, unknown> = { ...EXAMPLE_CONFIG, alerts: { ...(EXAMPLE_CONFIG.alerts as object), ...TEAM_ALERTS } };

/**
 * An App like `cdk synth -c keyHealthConfigFile=…` builds from cdk.json and {@link TEST_CONFIG}, without
 * bundling and CloudFormation validation (seconds per synth; the real bundle has its own test).
 */
export function testApp(context: Readonly<Record<string, unknown>> = {}): App {
  return new App({
    context: { ...CDK_JSON_CONTEXT, keyHealth: TEST_CONFIG, 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
  });
}

/** A synthesized stack with its template, from cdk.json's context with `context` on top. */
export interface SynthResult {
  readonly stack: KeyHealthStack;
  readonly template: Template;
  /** The template with Ref, Fn::GetAtt and Fn::Join flattened to `<…>` strings, as cdk-nag reads it. */
  readonly json: FlatTemplate;
}

/** The parts of a template the tests read. */
export interface FlatTemplate {
  readonly Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;
  readonly Outputs: Record<string, { Value: unknown }>;
}

/** Builds the stack through bin/app.ts, as `cdk synth` does. */
export function synth(context: Readonly<Record<string, unknown>> = {}): SynthResult {
  const stack = buildKeyHealthApp(testApp(context));
  const template = Template.fromStack(stack);
  return { stack, template, json: flat(template.toJSON()) as FlatTemplate };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Flattens CloudFormation intrinsics into readable strings: `{Ref: X}` → `<X>`, GetAtt → `<X.Attr>`, Join → the joined text. */
export function flat(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(flat);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === 'Ref') return `<${String(record.Ref)}>`;
  if (keys.length === 1 && keys[0] === 'Fn::GetAtt') return `<${(record['Fn::GetAtt'] as string[]).join('.')}>`;
  if (keys.length === 1 && keys[0] === 'Fn::Join') {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map(flat).join(separator);
  }
  return Object.fromEntries(keys.map((key) => [key, flat(record[key])]));
}

/** The resources of one type in a flattened template. */
export function resourcesOf(
  json: FlatTemplate,
  type: string,
): Array<{ id: string; Properties: Record<string, unknown>; DeletionPolicy?: string }> {
  return Object.entries(json.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => ({ id, ...resource }));
}

/** The one resource of `type`; fails the test if there is none or more than one. */
export function single(json: FlatTemplate, type: string): { id: string; Properties: Record<string, unknown>; DeletionPolicy?: string } {
  const found = resourcesOf(json, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as { id: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
}

/** A config like {@link TEST_CONFIG} with `patch` applied at the top level. */
export function exampleWith(patch: Record<string, unknown>): Record<string, unknown> {
  return { ...structuredClone(TEST_CONFIG), ...patch };
}
