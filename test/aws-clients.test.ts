// Issue 11, item 9: every AWS SDK client the functions use has explicit
// connection and request timeouts and a bounded number of attempts, so no
// call can hang past the invocation. Proved against a hung endpoint on
// loopback: a server that accepts connections and never answers.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SDK_CALL_LIMITS, createAwsClients, type SdkCallLimits } from '../functions/aws-clients.ts';

let server: Server;
const sockets = new Set<Socket>();
let connections = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.resume(); // read the request, never answer
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  // Every client reaches the hung endpoint, never a real AWS host.
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const QUICK: SdkCallLimits = { connectionTimeoutMs: 500, requestTimeoutMs: 300, maxAttempts: 2 };

describe('AWS SDK clients against an endpoint that never answers', () => {
  const calls = {
    dynamodb: (c: ReturnType<typeof createAwsClients>) =>
      c.dynamo.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'x' } } })),
    sns: (c: ReturnType<typeof createAwsClients>) => c.sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:ap-northeast-2:000000000000:t', Message: 'm' })),
    secretsManager: (c: ReturnType<typeof createAwsClients>) => c.secrets.send(new GetSecretValueCommand({ SecretId: 's' })),
    lambda: (c: ReturnType<typeof createAwsClients>) => c.lambda.send(new InvokeCommand({ FunctionName: 'f' })),
  } as const;

  for (const [service, call] of Object.entries(calls)) {
    it(`${service}: gives up after its request timeout, trying maxAttempts times`, async () => {
      const clients = createAwsClients({ region: 'ap-northeast-2' }, { limits: { [service]: QUICK } });
      const before = connections;

      const error = await call(clients).then(
        () => new Error('expected a timeout'),
        (e: unknown) => e as Error,
      );

      expect(error.name).toBe('TimeoutError');
      expect(connections - before).toBe(QUICK.maxAttempts);
    });
  }
});

describe('the default limits', () => {
  it('bound every client, and fit a scan call inside the handler’s reserve', () => {
    for (const [service, limits] of Object.entries(SDK_CALL_LIMITS)) {
      expect(limits.connectionTimeoutMs, service).toBeGreaterThan(0);
      expect(limits.requestTimeoutMs, service).toBeGreaterThan(0);
      expect(limits.maxAttempts, service).toBeGreaterThanOrEqual(2);
      if (service !== 'lambda') {
        // Worst case without backoff: every attempt hangs to its timeout. The scan keeps 90 s in reserve.
        expect(limits.maxAttempts * (limits.connectionTimeoutMs + limits.requestTimeoutMs), service).toBeLessThan(60_000);
      }
    }
  });

  it('wait for the token function longer than it may run (60 s), and no longer than needed', () => {
    expect(SDK_CALL_LIMITS.lambda.requestTimeoutMs).toBeGreaterThan(60_000);
    expect(SDK_CALL_LIMITS.lambda.requestTimeoutMs).toBeLessThanOrEqual(75_000);
  });

  it('are what each client is built with', async () => {
    const clients = createAwsClients({ region: 'ap-northeast-2' });
    expect(await clients.dynamo.config.maxAttempts()).toBe(SDK_CALL_LIMITS.dynamodb.maxAttempts);
    expect(await clients.sns.config.maxAttempts()).toBe(SDK_CALL_LIMITS.sns.maxAttempts);
    expect(await clients.secrets.config.maxAttempts()).toBe(SDK_CALL_LIMITS.secretsManager.maxAttempts);
    expect(await clients.lambda.config.maxAttempts()).toBe(SDK_CALL_LIMITS.lambda.maxAttempts);
  });
});
