// `npx cdk synth|deploy`: the settings come from deploy-settings.json (README
// "Deploy to AWS"); a `-c key=value` overrides one of them for this deploy
// only, and the app says so. cdk-nag's AWS Solutions checks run on every
// synth: a finding that is neither fixed nor acknowledged with a reason fails it.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_OUTPUTS_FILE, readDeployRecord } from './deploy-record.ts';
import { DEFAULT_SETTINGS_FILE, mergeSettings, readDeploySettings, readSettingsFile } from './settings.ts';
import { KiwoomForeignAlertsStack, warnAboutSettings } from './stack.ts';

export const STACK_NAME = 'KiwoomForeignAlerts';

const app = new App();
const settingsFile = String(app.node.tryGetContext('settingsFile') ?? DEFAULT_SETTINGS_FILE);
const file = readSettingsFile(settingsFile);
const { source, overrides } = mergeSettings(file ?? {}, app.node);
const settings = readDeploySettings(source);
const stack = new KiwoomForeignAlertsStack(app, STACK_NAME, {
  description: 'Kiwoom foreign-holdings alerts: scheduled ka10008 scan, SNS alerts, DynamoDB state',
  settings,
});
warnAboutSettings(stack, {
  settingsFile,
  fileFound: file !== undefined,
  overrides,
  lastDeploy: readDeployRecord(DEFAULT_OUTPUTS_FILE, STACK_NAME),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
