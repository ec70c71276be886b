// The HTTP sender connects to the address the guard checked, never to a
// second DNS answer, and turns network trouble into transient errors.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientDeliveryError, UnsafeTargetError } from '../../functions/deliver/errors.ts';
import type { Resolver } from '../../functions/deliver/http/address-guard.ts';
import { GuardedHttpSender } from '../../functions/deliver/http/sender.ts';
import { startChatFakes, type ChatFakes } from '../../local/chat-fakes/server.ts';

let fakes: ChatFakes;
let port: number;
beforeAll(async () => {
  fakes = await startChatFakes();
  port = Number(new URL(fakes.url).port);
});
afterAll(async () => {
  await fakes.close();
});

describe('GuardedHttpSender', () => {
  it('connects to the address it checked, for a name the system DNS does not know', async () => {
    const lookups: string[] = [];
    const resolver: Resolver = async (host) => {
      lookups.push(host);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const sender = new GuardedHttpSender({ allowLoopback: true }, resolver);
    const answer = await sender.post({ url: `http://hooks.chat.invalid:${port}/webhook/x`, body: '{}', headers: {}, timeoutMs: 5000 });
    expect(answer.status).toBe(401); // the receiver got it (and refused the unsigned body)
    expect(lookups).toEqual(['hooks.chat.invalid']);
    expect(fakes.of('webhook').at(-1)?.headers.host).toBe(`hooks.chat.invalid:${port}`);
  });

  it('uses the first answer only: a rebinding second answer is never looked up', async () => {
    const answers = [[{ address: '127.0.0.1', family: 4 as const }], [{ address: '10.0.0.1', family: 4 as const }]];
    const resolver: Resolver = async () => answers.shift() ?? [];
    const sender = new GuardedHttpSender({ allowLoopback: true }, resolver);
    await sender.post({ url: `http://rebind.invalid:${port}/webhook/x`, body: '{}', headers: {}, timeoutMs: 5000 });
    expect(answers).toHaveLength(1);
  });

  it('refuses before connecting when the address is not allowed', async () => {
    const before = fakes.received.length;
    const sender = new GuardedHttpSender({ allowLoopback: false });
    await expect(sender.post({ url: `${fakes.url}/webhook/x`, body: '{}', headers: {}, timeoutMs: 5000 })).rejects.toBeInstanceOf(UnsafeTargetError);
    expect(fakes.received.length).toBe(before);
  });

  it('gives up on a server that never answers with a transient error', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const sender = new GuardedHttpSender({ allowLoopback: true });
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      await expect(sender.post({ url, body: '{}', headers: {}, timeoutMs: 100 })).rejects.toBeInstanceOf(TransientDeliveryError);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
