// The deployed token path without AWS: Secrets Manager as an in-memory store
// behind aws-sdk-client-mock (values, versions, creation dates), and Lambda's
// Invoke running the real token function (`run` from
// functions/handlers/token.ts) the way Lambda reports its result or its
// failure. No emulator exists for either here; everything Kiwoom says comes
// from the simulator over HTTP.
import { randomUUID } from 'node:crypto';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { formatExpiresDt } from '../../functions/kiwoom/secrets-token-source.ts';

import { APP_SECRET_ARN, TOKEN_SECRET_ARN } from '../support/token-function-env.ts';

export { APP_SECRET_ARN, TOKEN_SECRET_ARN };
export const TOKEN_FUNCTION = 'kfa-token';
export const REGION = 'ap-northeast-2';

interface SecretVersion {
  value: string;
  versionId: string;
  createdDate: Date;
}

/** Secrets Manager as a map of secret id → current version; counts every call. */
export class FakeSecretsManager {
  readonly versions = new Map<string, SecretVersion>();
  readonly reads: string[] = [];
  readonly writes: { secretId: string; value: string }[] = [];
  readonly mock = mockClient(SecretsManagerClient);
  now: () => Date = () => new Date();

  constructor() {
    this.install();
  }

  install(): void {
    this.mock.reset();
    this.mock.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      this.reads.push(input.SecretId);
      const current = this.versions.get(input.SecretId);
      if (current === undefined) {
        throw new ResourceNotFoundException({ message: 'Secrets Manager can’t find the specified secret value', $metadata: {} });
      }
      return { ARN: input.SecretId, SecretString: current.value, VersionId: current.versionId, CreatedDate: current.createdDate };
    });
    this.mock.on(PutSecretValueCommand).callsFake((input: { SecretId: string; SecretString: string }) => {
      this.writes.push({ secretId: input.SecretId, value: input.SecretString });
      this.put(input.SecretId, input.SecretString);
      return { ARN: input.SecretId, VersionId: this.versions.get(input.SecretId)?.versionId };
    });
  }

  put(secretId: string, value: string): void {
    this.versions.set(secretId, { value, versionId: randomUUID(), createdDate: this.now() });
  }

  putToken(token: string, expiresAt: Date, extra: Record<string, unknown> = {}): void {
    this.put(
      TOKEN_SECRET_ARN,
      JSON.stringify({ token, expires_dt: formatExpiresDt(expiresAt), expires_at: expiresAt.toISOString(), ...extra }),
    );
  }

  putAppCredentials(appkey: string, secretkey: string): void {
    this.put(APP_SECRET_ARN, JSON.stringify({ appkey, secretkey }));
  }

  /** The token the token secret holds now. */
  storedToken(): string | undefined {
    const value = this.versions.get(TOKEN_SECRET_ARN)?.value;
    return value === undefined ? undefined : (JSON.parse(value) as { token?: string }).token;
  }

  tokenWrites(): number {
    return this.writes.filter((w) => w.secretId === TOKEN_SECRET_ARN).length;
  }

  tokenReads(): number {
    return this.reads.filter((id) => id === TOKEN_SECRET_ARN).length;
  }

  client(): SecretsManagerClient {
    return new SecretsManagerClient({ region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  }
}

export type TokenFunctionRun = (event: unknown) => Promise<unknown>;

/** Lambda whose Invoke runs `run` and answers as Lambda does, FunctionError and all. */
export class FakeLambda {
  readonly mock = mockClient(LambdaClient);
  readonly events: unknown[] = [];
  /** performance.now() of each failed invocation's answer. */
  readonly failedAt: number[] = [];

  constructor(private readonly runTokenFunction: TokenFunctionRun) {
    this.install();
  }

  install(): void {
    this.mock.reset();
    this.mock.on(InvokeCommand).callsFake(async (input: { Payload?: Uint8Array }) => {
      const event = JSON.parse(new TextDecoder().decode(input.Payload)) as unknown;
      this.events.push(event);
      try {
        const result = await this.runTokenFunction(event);
        return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(result)) };
      } catch (error) {
        const e = error as Error;
        this.failedAt.push(performance.now());
        return {
          StatusCode: 200,
          FunctionError: 'Unhandled',
          Payload: new TextEncoder().encode(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] })),
        };
      }
    });
  }

  client(): LambdaClient {
    return new LambdaClient({ region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  }
}

/** A promise with its resolve at hand, for interleavings a test controls. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
