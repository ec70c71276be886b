// AWS SDK clients, built once per process. Endpoints come from the standard
// SDK variables (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SNS, …), so the
// same code reaches AWS, DynamoDB Local and fauxqs.
//
// Every client has explicit connection and request timeouts and a bounded
// number of attempts, so no call can hang past the invocation (a scan that
// hangs on one write keeps its lease until Lambda kills it). Note: the SDK's
// `requestTimeout` only logs a warning unless `throwOnRequestTimeout` is set.
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

export interface SdkCallLimits {
  /** To establish the TCP (and TLS) connection. */
  connectionTimeoutMs: number;
  /** From sending the request to the end of the answer, per attempt. */
  requestTimeoutMs: number;
  /** Attempts in all, the first included (the SDK's standard retry mode, with backoff). */
  maxAttempts: number;
}

export type AwsService = 'dynamodb' | 'sns' | 'secretsManager' | 'lambda';

/**
 * Per service: DynamoDB answers in milliseconds and throttles now and then
 * (more attempts); an SNS publish and a secret read are quick; invoking the
 * token function waits for it to finish, up to its 60 s timeout
 * (infra/constructs/token.ts), and a retry would run it again, so two
 * attempts. The scan's deadline signal ends that wait sooner when time is short.
 */
export const SDK_CALL_LIMITS: Readonly<Record<AwsService, SdkCallLimits>> = {
  dynamodb: { connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000, maxAttempts: 5 },
  sns: { connectionTimeoutMs: 3_000, requestTimeoutMs: 10_000, maxAttempts: 3 },
  secretsManager: { connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000, maxAttempts: 3 },
  lambda: { connectionTimeoutMs: 3_000, requestTimeoutMs: 65_000, maxAttempts: 2 },
};

export interface AwsClientOptions {
  /** Only for a local stack (the CLI with every endpoint on loopback); otherwise the SDK's own chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Other limits than SDK_CALL_LIMITS, per service (tests with a hung endpoint). */
  limits?: Partial<Record<AwsService, Partial<SdkCallLimits>>>;
}

export function createAwsClients(config: Pick<Config, 'region'>, options: AwsClientOptions = {}): AwsClients {
  const settings = (service: AwsService) => {
    const l = { ...SDK_CALL_LIMITS[service], ...options.limits?.[service] };
    return {
      ...(config.region ? { region: config.region } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: l.maxAttempts,
      requestHandler: {
        connectionTimeout: l.connectionTimeoutMs,
        requestTimeout: l.requestTimeoutMs,
        throwOnRequestTimeout: true,
      },
    };
  };
  const dynamo = new DynamoDBClient(settings('dynamodb'));
  return {
    dynamo,
    doc: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    sns: new SNSClient(settings('sns')),
    secrets: new SecretsManagerClient(settings('secretsManager')),
    lambda: new LambdaClient(settings('lambda')),
  };
}
