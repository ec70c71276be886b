// AWS SDK clients, built once per process. Endpoints come from the standard
// SDK variables (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SNS, …), so the
// same code reaches AWS, DynamoDB Local and fauxqs.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config.ts';

export interface AwsClients {
  dynamo: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  sns: SNSClient;
  secrets: SecretsManagerClient;
  lambda: LambdaClient;
}

export interface AwsClientOptions {
  /** Only for a local stack (the CLI with every endpoint on loopback); otherwise the SDK's own chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function createAwsClients(config: Pick<Config, 'region'>, options: AwsClientOptions = {}): AwsClients {
  const common = {
    ...(config.region ? { region: config.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const dynamo = new DynamoDBClient(common);
  return {
    dynamo,
    doc: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    sns: new SNSClient(common),
    secrets: new SecretsManagerClient(common),
    lambda: new LambdaClient(common),
  };
}
