// What the last deploy from this folder deployed, so the next one can say what
// it will change. The stack outputs its subscription and egress settings as
// `DeploySettings`; cdk.json's `outputsFile` makes the CDK CLI write every
// output to cdk.deployed.json after each successful deploy. Synth stays
// offline: it reads that file, never CloudFormation.
import { readFileSync } from 'node:fs';
import type { DeploySettings, EgressMode } from './settings.ts';

export const DEPLOY_RECORD_OUTPUT = 'DeploySettings';
export const DEFAULT_OUTPUTS_FILE = 'cdk.deployed.json';

/** The settings whose change removes something a person relies on. */
export interface DeployRecord {
  egress: EgressMode;
  alertEmails: string[];
  alertPhones: string[];
  opsEmails: string[];
}

export function recordOf(settings: DeploySettings): DeployRecord {
  return {
    egress: settings.egress,
    alertEmails: settings.alertEmails,
    alertPhones: settings.alertPhones,
    opsEmails: settings.opsEmails,
  };
}

/** The record in a CDK outputs file (`{ "<stack>": { "DeploySettings": "…" } }`), if there is one. */
export function readDeployRecord(path: string, stackName: string): DeployRecord | undefined {
  let outputs: unknown;
  try {
    outputs = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const value = (outputs as Record<string, Record<string, unknown> | undefined> | null)?.[stackName]?.[DEPLOY_RECORD_OUTPUT];
  if (typeof value !== 'string') return undefined;
  try {
    const record = JSON.parse(value) as Partial<DeployRecord>;
    if (typeof record.egress !== 'string') return undefined;
    return {
      egress: record.egress,
      alertEmails: strings(record.alertEmails),
      alertPhones: strings(record.alertPhones),
      opsEmails: strings(record.opsEmails),
    };
  } catch {
    return undefined;
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

const EGRESS_EFFECT: Record<EgressMode, string> = {
  'nat-gateway': 'the functions leave through a NAT gateway with the Elastic IP',
  'nat-instance': 'the functions leave through a t4g.nano NAT instance with the Elastic IP',
  none: 'the functions leave the VPC and call Kiwoom from shared Lambda addresses (a live-account key then fails with 8050)',
};

/** Sentences naming each subscription this deploy removes and an egress change, in that order. */
export function describeChanges(previous: DeployRecord, next: DeployRecord): string[] {
  const changes: string[] = [];
  const removed = (label: string, before: string[], after: string[]) => {
    for (const endpoint of before.filter((e) => !after.includes(e))) {
      changes.push(`removes the ${label} subscription of ${endpoint}`);
    }
  };
  removed('alert email', previous.alertEmails, next.alertEmails);
  removed('alert SMS', previous.alertPhones, next.alertPhones);
  removed('ops email', previous.opsEmails, next.opsEmails);
  if (previous.egress !== next.egress) {
    changes.push(`changes egress from ${previous.egress} to ${next.egress}: ${EGRESS_EFFECT[next.egress]}`);
  }
  return changes;
}
