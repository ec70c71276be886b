// The whole deployment: fixed egress, tables, alert topics, the token issuer,
// the scan loop and its alarms. Env-agnostic and free of context lookups, so
// `cdk synth` works offline with no AWS credentials.
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { parseScanTime, type DeploySettings } from './settings.ts';
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

export class KiwoomForeignAlertsStack extends Stack {
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
    const scanTime = parseScanTime(settings.scanCron);
    if (scanTime === undefined) throw new Error(`scanCron "${settings.scanCron}" has no fixed start time`);

    this.egress = new Egress(this, 'Egress', { mode: settings.egress });
    this.tables = new Tables(this, 'Tables');
    this.alerts = new Alerts(this, 'Alerts', settings);
    const deadLetters = new DeadLetters(this, 'DeadLetters');
    this.token = new TokenIssuer(this, 'Token', {
      placement: this.egress.placement,
      kiwoomBaseUrl: settings.kiwoomBaseUrl,
      logLevel: settings.logLevel,
      scanTime,
      deadLetterQueue: deadLetters.queue,
    });
    this.scan = new ScanPipeline(this, 'Scan', {
      placement: this.egress.placement,
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
      stateMachine: this.scan.stateMachine,
      deadLetterQueue: deadLetters.queue,
      scanTime,
    });
  }
}
