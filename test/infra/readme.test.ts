// README's "Deploy to AWS" against the code and the template: the settings it
// lists, the alarms, the metrics it counts in the fixed cost, and the outputs.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/constructs/node-function.ts';
import { SETTING_KEYS } from '../../infra/settings.ts';
import { buildStack } from './synth.ts';

let deploy: string;
let natInstance: Template;
let natGateway: Template;
beforeAll(async () => {
  natInstance = buildStack({ egress: 'nat-instance' }).template;
  natGateway = buildStack({ egress: 'nat-gateway' }).template;
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  deploy = readme.slice(readme.indexOf('## Deploy to AWS'), readme.indexOf('\n## ', readme.indexOf('## Deploy to AWS') + 5));
});

/** The first column of the markdown table that follows `heading`, as `code` names. */
function tableNames(text: string, header: string): string[] {
  const start = text.indexOf(header);
  const rows = text.slice(start).split('\n').slice(2).map((r) => r.trim());
  const end = rows.findIndex((r) => !r.startsWith('|'));
  return rows
    .slice(0, end)
    .flatMap((r) => [...(r.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
}

describe('README, Deploy to AWS', () => {
  it('lists every setting the settings file takes, and no other', () => {
    expect(tableNames(deploy, '| setting | default | meaning |').sort()).toEqual([...SETTING_KEYS].sort());
  });

  it('lists every alarm of the stack', () => {
    const alarms = (template: Template) =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) =>
        String((a as { Properties: { AlarmName: string } }).Properties.AlarmName).replace('KiwoomForeignAlerts-', ''),
      );
    const listed = tableNames(deploy, '| alarm | fires when |');
    expect(listed.sort()).toEqual(alarms(natInstance).sort());
    expect(alarms(natGateway)).toHaveLength(11);
  });

  it('counts in the fixed cost exactly the custom metrics the functions emit', async () => {
    const sourcesIn = async (folder: string) => {
      const dir = join(REPO_ROOT, folder);
      return Promise.all((await readdir(dir)).filter((f) => f.endsWith('.ts')).map((f) => readFile(join(dir, f), 'utf8')));
    };
    const names = (sources: string[], pattern: RegExp) => new Set(sources.flatMap((s) => [...s.matchAll(pattern)].map((m) => m[1] as string)));
    const always = names(await sourcesIn('functions/handlers'), /addMetric\('(\w+)'/g);
    // The deliver function counts through its own port, and only when chat channels deliver.
    const chat = names(await sourcesIn('functions/deliver'), /metrics\.count\('(\w+)'/g);
    for (const metric of [...always, ...chat]) expect(deploy, metric).toContain(`\`${metric}\``);
    const text = deploy.replace(/\s+/g, ' ');
    // Steady state: all but TokenNotConfigured, which stops once the credentials are put.
    expect(text).toContain(`${always.size - 1} custom metrics × $0.30 = $${((always.size - 1) * 0.3).toFixed(2)}`);
    expect(text).toContain(`up to ${chat.size} × $0.30`);
  });

  it('names every output of the stack', () => {
    const outputs = Object.keys(natGateway.findOutputs('*'));
    for (const output of outputs) expect(deploy, output).toContain(`\`${output}\``);
  });

  it('refers to no file that does not exist', async () => {
    expect(deploy).not.toMatch(/docs\/deploy\.md|TOOLCHAIN\.md/);
  });
});
