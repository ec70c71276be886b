// egress=nat-instance: the image comes from a setting and never from a
// deploy-time lookup, and the setup script the user data installs survives a
// slow first boot. The script runs here against stand-ins for ip, sysctl, dnf
// and nft (a scratch root, no root rights needed), including a package mirror
// that fails before it answers.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { NAT_SERVICE, NAT_SETUP_PATH, NAT_SETUP_SCRIPT } from '../../infra/constructs/nat-instance.ts';
import { DEFAULT_NAT_INSTANCE_AMI } from '../../infra/settings.ts';
import { buildStack } from './synth.ts';

const run = promisify(execFile);

function instanceOf(template: Template): Record<string, unknown> {
  const [instance] = Object.values(template.findResources('AWS::EC2::Instance')) as { Properties: Record<string, unknown> }[];
  if (instance === undefined) throw new Error('no NAT instance');
  return instance.Properties;
}

function userDataOf(template: Template): string {
  const userData = instanceOf(template)['UserData'] as { 'Fn::Base64': string };
  return userData['Fn::Base64'];
}

describe('the NAT instance in the template', () => {
  let template: Template;
  beforeAll(() => {
    template = buildStack({ egress: 'nat-instance' }).template;
  });

  it('takes its image from the setting, as a constant no deploy re-resolves (no SSM parameter in the template)', () => {
    expect(instanceOf(template)['ImageId']).toBe(DEFAULT_NAT_INSTANCE_AMI);
    const { BootstrapVersion: _bootstrap, ...parameters } = (template.toJSON()['Parameters'] ?? {}) as Record<string, unknown>;
    expect(JSON.stringify(parameters)).not.toMatch(/SSM::Parameter|ami-amazon-linux/);
  });

  it('pins an exact AMI when the setting names one', () => {
    const pinned = buildStack({ egress: 'nat-instance', natInstanceAmi: 'ami-0a1b2c3d4e5f60718' }).template;
    expect(instanceOf(pinned)['ImageId']).toBe('ami-0a1b2c3d4e5f60718');
  });

  it('installs the setup script and a boot-time unit that systemd restarts until the NAT is verified', async () => {
    const userData = userDataOf(template);
    const script = await readFile(NAT_SETUP_SCRIPT, 'utf8');
    expect(userData).toContain(script.trimEnd());
    expect(userData).toContain(`ExecStart=${NAT_SETUP_PATH}`);
    expect(userData).toContain('Restart=on-failure');
    expect(userData).toContain(`systemctl enable --now ${NAT_SERVICE}`);
    // Not CDK's default user data (a single unretried `yum install iptables-services`).
    expect(userData).not.toContain('yum install iptables-services');
  });

  it('is a valid bash script', async () => {
    await expect(run('bash', ['-n', NAT_SETUP_SCRIPT])).resolves.toBeDefined();
  });
});

describe('the NAT setup script at boot', () => {
  let dir: string;

  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /**
   * A scratch machine: `ip` knows the default route, `sysctl` keeps its value
   * in a file, `nft` keeps the loaded rules, and `dnf` fails `dnfFailures`
   * times before it installs nft.
   */
  async function machine(options: { dnfFailures: number; nftInstalled?: boolean; route?: boolean }) {
    dir = await mkdtemp(join(tmpdir(), 'kfa-nat-'));
    const bin = join(dir, 'bin');
    const state = join(dir, 'state');
    await run('mkdir', ['-p', bin, state, join(dir, 'root')]);
    const tool = async (name: string, body: string) => {
      await writeFile(join(bin, name), `#!/bin/bash\nSTATE="${state}"\n${body}\n`);
      await chmod(join(bin, name), 0o755);
    };
    await tool('sleep', 'exit 0');
    await tool('ip', options.route === false ? 'exit 0' : 'echo "default via 10.40.0.1 dev ens5 proto dhcp src 10.40.0.10 metric 512"');
    await tool(
      'sysctl',
      `if [ "$1" = "-n" ]; then cat "$STATE/ip_forward" 2>/dev/null || echo 0; exit 0; fi
for arg in "$@"; do case "$arg" in net.ipv4.ip_forward=*) echo "\${arg#*=}" > "$STATE/ip_forward";; esac; done`,
    );
    const nft = `if [ "$1" = "-f" ]; then cat > "$STATE/rules"; exit 0; fi
if [ "$1" = "list" ]; then sed -n '/^table ip kfa_nat {/,$p' "$STATE/rules"; exit 0; fi
exit 1`;
    await writeFile(join(dir, 'nft.stub'), `#!/bin/bash\nSTATE="${state}"\n${nft}\n`);
    if (options.nftInstalled === true) await tool('nft', nft);
    await tool(
      'dnf',
      `n=$(cat "$STATE/dnf_calls" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$STATE/dnf_calls"
if [ "$n" -le ${options.dnfFailures} ]; then echo "Curl error (28): Timeout was reached" >&2; exit 1; fi
cp "${join(dir, 'nft.stub')}" "${join(bin, 'nft')}"; chmod +x "${join(bin, 'nft')}"`,
    );
    const setup = () =>
      run('bash', [NAT_SETUP_SCRIPT], {
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          KFA_NAT_ROOT: join(dir, 'root'),
          KFA_NAT_ATTEMPTS: '5',
          KFA_NAT_DELAY_SECONDS: '0',
        },
      });
    const read = (file: string) => readFile(join(state, file), 'utf8').catch(() => '');
    return { setup, read, root: join(dir, 'root') };
  }

  it('retries a failing package mirror, then forwards and masquerades through the default interface', async () => {
    const m = await machine({ dnfFailures: 2 });

    const { stdout } = await m.setup();

    expect((await m.read('dnf_calls')).trim()).toBe('3');
    expect((await m.read('ip_forward')).trim()).toBe('1');
    expect(await m.read('rules')).toMatch(/oifname "ens5" masquerade/);
    expect(await readFile(join(m.root, 'etc/sysctl.d/90-kfa-nat.conf'), 'utf8')).toContain('net.ipv4.ip_forward = 1');
    expect(stdout).toContain('forwarding IPv4 and masquerading it through ens5');
  });

  it('runs again (every boot) without installing anything and with the same rules', async () => {
    const m = await machine({ dnfFailures: 0, nftInstalled: true });

    await m.setup();
    const first = await m.read('rules');
    await m.setup();

    expect(await m.read('dnf_calls')).toBe('');
    expect(await m.read('rules')).toBe(first);
  });

  it('fails, so systemd runs it again, when the mirror never answers', async () => {
    const m = await machine({ dnfFailures: 100 });

    await expect(m.setup()).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining('installing nftables failed after 5 attempts') });
    expect(await m.read('rules')).toBe('');
  });

  it('fails when there is no default route to masquerade behind', async () => {
    const m = await machine({ dnfFailures: 0, nftInstalled: true, route: false });

    await expect(m.setup()).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining('finding the default route failed') });
  });
});
