// Builds the stack for assertion tests. Bundling is skipped through CDK's own
// `aws:cdk:bundling-stacks` context (the NodejsFunctions stay real; their
// asset just points at the sources), so a stack builds in about a second.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readDeploySettings } from '../../infra/settings.ts';
import { KiwoomForeignAlertsStack } from '../../infra/stack.ts';

export const BASE_CONTEXT = {
  alertEmails: 'alerts@example.com,analyst@example.com',
  alertPhones: '["+821012345678"]',
  opsEmails: 'ops@example.com',
} as const;

type Built = { app: App; stack: KiwoomForeignAlertsStack; template: Template };
const built = new Map<string, Built>();

/**
 * The stack as `npx cdk synth` builds it from context (tests stand in for the
 * settings file with context). Built once per context in a test file: a
 * build costs a second or more of CPU. `fresh` for a test that adds to it.
 */
export function buildStack(context: Record<string, unknown> = {}, options: { fresh?: boolean } = {}): Built {
  const key = JSON.stringify(context);
  const cached = built.get(key);
  if (cached !== undefined && options.fresh !== true) return cached;
  const result = build(context);
  if (options.fresh !== true) built.set(key, result);
  return result;
}

function build(context: Record<string, unknown>): Built {
  // CDK's built-in CloudFormation validation (a WebAssembly rule engine, seconds
  // of CPU per first synth) checks nothing these tests assert; `npx cdk synth` keeps it.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...BASE_CONTEXT, ...context }, builtinCloudFormationValidation: false });
  const stack = new KiwoomForeignAlertsStack(app, 'KiwoomForeignAlerts', { settings: readDeploySettings(app.node) });
  return { app, stack, template: Template.fromStack(stack) };
}

/** A CloudFormation resource of a type whose logical id starts with `prefix`. */
export function resourceOf(
  template: Template,
  type: string,
  prefix: string,
): { id: string; Properties: Record<string, unknown> } {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${found.length}`);
  const [id, resource] = found[0] as [string, { Properties: Record<string, unknown> }];
  return { id, Properties: resource.Properties };
}

/** The logical id of the one resource of `type` whose id starts with `prefix`. */
export function idOf(template: Template, type: string, prefix: string): string {
  return resourceOf(template, type, prefix).id;
}
