// `npx cdk synth|deploy -c egress=… -c alertEmails=… -c alertPhones=…`
// (docs/deploy.md). cdk-nag's AWS Solutions checks run on every synth: a
// finding that is neither fixed nor acknowledged with a reason fails it.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readDeploySettings } from './settings.ts';
import { KiwoomForeignAlertsStack } from './stack.ts';

export const STACK_NAME = 'KiwoomForeignAlerts';

const app = new App();
const settings = readDeploySettings(app.node);
new KiwoomForeignAlertsStack(app, STACK_NAME, {
  description: 'Kiwoom foreign-holdings alerts: scheduled ka10008 scan, SNS alerts, DynamoDB state',
  settings,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
