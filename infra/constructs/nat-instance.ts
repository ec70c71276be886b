// The NAT instance's machine: the image pinned by a setting (never re-resolved
// by a deploy) and user data that survives a slow first boot. CDK's default
// user data installs iptables once, with no retry; when dnf races the mirror
// at first boot the instance runs but forwards nothing. Ours installs a setup
// script run by a systemd unit at every boot, which retries, verifies, and is
// restarted by systemd until forwarding and masquerading are in place.
import { readFileSync } from 'node:fs';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { REPO_ROOT } from './node-function.ts';

export const NAT_SETUP_SCRIPT = `${REPO_ROOT}infra/nat-instance/nat-setup.sh`;
export const NAT_SETUP_PATH = '/usr/local/sbin/kfa-nat-setup';
export const NAT_SERVICE = 'kfa-nat.service';

/** The setting (`ami-…` or `resolve:ssm:…`) as CDK's image: the string goes into the template as it is. */
export function natMachineImage(ami: string): ec2.IMachineImage {
  return {
    // The NAT provider passes natUserData() to the instance itself.
    getImage: () => ({ imageId: ami, osType: ec2.OperatingSystemType.LINUX, userData: ec2.UserData.forLinux() }),
  };
}

export function natUserData(): ec2.UserData {
  const script = readFileSync(NAT_SETUP_SCRIPT, 'utf8');
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    `cat > ${NAT_SETUP_PATH} <<'KFA_NAT_SETUP'`,
    script.trimEnd(),
    'KFA_NAT_SETUP',
    `chmod 0755 ${NAT_SETUP_PATH}`,
    `cat > /etc/systemd/system/${NAT_SERVICE} <<'KFA_NAT_UNIT'`,
    '[Unit]',
    'Description=NAT for the Kiwoom functions (IPv4 forwarding and masquerade)',
    'Wants=network-online.target',
    'After=network-online.target',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=${NAT_SETUP_PATH}`,
    'Restart=on-failure',
    'RestartSec=30',
    '[Install]',
    'WantedBy=multi-user.target',
    'KFA_NAT_UNIT',
    'systemctl daemon-reload',
    `systemctl enable --now ${NAT_SERVICE}`,
  );
  return userData;
}
