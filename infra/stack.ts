// The whole deployment: fixed egress, tables, alert topics, the token issuer,
// the scan loop and its alarms. Env-agnostic and free of context lookups, so
// `cdk synth` works offline with no AWS credentials.
import { Annotations, CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { DEPLOY_RECORD_OUTPUT, describeChanges, recordOf, type DeployRecord } from './deploy-record.ts';
import { parseScanTime, type DeploySettings, type SettingOverride } from './settings.ts';
import { Alerts } from './constructs/alerts.ts';
import { Tables } from './constructs/data.ts';
import { DeliveryPipeline } from './constructs/deliver.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { Egress } from './constructs/network.ts';
import { DeadLetters, ScanPipeline } from './constructs/scan.ts';
import { TokenIssuer } from './constructs/token.ts';

export interface KiwoomForeignAlertsStackProps extends StackProps {
  settings: DeploySettings;
}

/** The cost-allocation tag every taggable resource carries (its value is the `projectTag` setting). */
export const PROJECT_TAG_KEY = 'project';

export class KiwoomForeignAlertsStack extends Stack {
  readonly settings: DeploySettings;
  readonly egress: Egress;
  readonly tables: Tables;
  readonly alerts: Alerts;
  readonly token: TokenIssuer;
  readonly scan: ScanPipeline;
  readonly monitoring: Monitoring;
  readonly deliver: DeliveryPipeline;

  constructor(scope: Construct, id: string, props: KiwoomForeignAlertsStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.settings = settings;
    const scanTime = parseScanTime(settings.scanCron);
    if (scanTime === undefined) throw new Error(`scanCron "${settings.scanCron}" has no fixed start time`);
    Tags.of(this).add(PROJECT_TAG_KEY, settings.projectTag);

    this.egress = new Egress(this, 'Egress', {
      mode: settings.egress,
      natInstanceAmi: settings.natInstanceAmi,
      reuse: settings.reuse,
    });
    this.tables = new Tables(this, 'Tables', { reuse: settings.reuse });
    this.alerts = new Alerts(this, 'Alerts', settings);
    const deadLetters = new DeadLetters(this, 'DeadLetters');
    // Our own group: its Scheduler metrics count only these schedules, and the
    // roles Scheduler assumes are limited to it.
    const scheduleGroup = new scheduler.ScheduleGroup(this, 'Schedules');
    this.token = new TokenIssuer(this, 'Token', {
      placement: this.egress.placement,
      scheduleGroup,
      ...(settings.reuse.appSecret === undefined ? {} : { reuseAppSecret: settings.reuse.appSecret }),
      kiwoomBaseUrl: settings.kiwoomBaseUrl,
      logLevel: settings.logLevel,
      scanTime,
      deadLetterQueue: deadLetters.queue,
      historyTable: this.tables.history,
    });
    this.scan = new ScanPipeline(this, 'Scan', {
      placement: this.egress.placement,
      scheduleGroup,
      tables: this.tables,
      alertTopic: this.alerts.alertTopic,
      topicKey: this.alerts.key,
      token: this.token,
      deadLetterQueue: deadLetters.queue,
      scanCron: settings.scanCron,
      kiwoomBaseUrl: settings.kiwoomBaseUrl,
      ...(settings.kiwoomRateLimit === undefined ? {} : { kiwoomRateLimit: settings.kiwoomRateLimit }),
      logLevel: settings.logLevel,
    });
    this.deliver = new DeliveryPipeline(this, 'Deliver', { tables: this.tables, alertTopic: this.alerts.alertTopic, opsTopic: this.alerts.opsTopic, logLevel: settings.logLevel });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      opsTopic: this.alerts.opsTopic,
      scanFunction: this.scan.fn.function,
      scanServiceName: 'kfa-scan',
      tokenFunction: this.token.fn.function,
      tokenServiceName: 'kfa-token',
      stateMachine: this.scan.stateMachine,
      deadLetterQueue: deadLetters.queue,
      scheduleGroup,
      ...(this.egress.natInstance === undefined ? {} : { natInstance: this.egress.natInstance }),
    });

    // Written to cdk.deployed.json by the CLI after each deploy, so the next
    // synth can say which subscriptions and egress it changes.
    new CfnOutput(this, DEPLOY_RECORD_OUTPUT, {
      value: JSON.stringify(recordOf(settings)),
      description: 'The subscription and egress settings of this deploy (compared by the next deploy)',
    });
  }
}

export interface SettingsReport {
  settingsFile: string;
  fileFound: boolean;
  overrides: SettingOverride[];
  /** What the last deploy from this folder deployed (cdk.deployed.json), if known. */
  lastDeploy?: DeployRecord;
}

/**
 * Synth-time warnings (the CLI prints them before it deploys): a `-c` that
 * overrides the settings file for this deploy only, a missing file, and
 * every subscription or egress change against the last deploy.
 */
export function warnAboutSettings(stack: KiwoomForeignAlertsStack, report: SettingsReport): string[] {
  const warnings: string[] = [];
  if (!report.fileFound) {
    warnings.push(`${report.settingsFile} not found: every setting is at its default (no subscriptions, egress nat-gateway).`);
  }
  for (const o of report.overrides) {
    warnings.push(
      `-c ${o.key}=${JSON.stringify(o.context)} overrides ${report.settingsFile} (${JSON.stringify(o.file ?? null)}) for this deploy only: ` +
        `the next deploy without it goes back to the file. Write it into ${report.settingsFile} to keep it.`,
    );
  }
  if (report.lastDeploy !== undefined) {
    for (const change of describeChanges(report.lastDeploy, recordOf(stack.settings))) {
      warnings.push(`Compared with the last deploy (cdk.deployed.json), this deploy ${change}.`);
    }
  }
  warnings.forEach((message, index) => Annotations.of(stack).addWarningV2(`kfa:settings-${index}`, message));
  return warnings;
}
