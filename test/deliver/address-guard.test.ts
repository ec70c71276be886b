// No SSRF from a channel item: which URLs and addresses the sender refuses.
import { describe, expect, it } from 'vitest';
import { checkTarget, classifyAddress, type Resolver } from '../../functions/deliver/http/address-guard.ts';
import { TransientDeliveryError, UnsafeTargetError } from '../../functions/deliver/errors.ts';

const resolvingTo = (...addresses: string[]): Resolver => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const strict = { allowLoopback: false };
const local = { allowLoopback: true };

describe('classifyAddress', () => {
  it.each([
    ['10.1.2.3'],
    ['172.16.0.1'],
    ['172.31.255.255'],
    ['192.168.1.1'],
    ['169.254.169.254'],
    ['100.64.0.1'],
    ['0.0.0.0'],
    ['224.0.0.1'],
    ['255.255.255.255'],
    ['fc00::1'],
    ['fd12:3456::1'],
    ['fe80::1'],
    ['::'],
    ['ff02::1'],
    ['::ffff:10.0.0.1'],
    ['::ffff:169.254.169.254'],
    ['::ffff:a9fe:a9fe'],
    ['64:ff9b::a9fe:a9fe'],
    ['2002:c0a8:0101::1'],
    ['::10.0.0.1'],
  ])('calls %s private', (address) => {
    expect(classifyAddress(address)).toBe('private');
  });

  it.each([['127.0.0.1'], ['127.8.9.1'], ['::1'], ['::ffff:127.0.0.1'], ['0:0:0:0:0:0:0:1']])('calls %s loopback', (address) => {
    expect(classifyAddress(address)).toBe('loopback');
  });

  it.each([['8.8.8.8'], ['149.154.167.220'], ['2001:4860:4860::8888'], ['::ffff:8.8.8.8'], ['172.32.0.1']])('calls %s public', (address) => {
    expect(classifyAddress(address)).toBe('public');
  });
});

describe('checkTarget', () => {
  it('accepts https to a public address and returns the address it checked', async () => {
    await expect(checkTarget(new URL('https://hooks.example.com/x'), strict, resolvingTo('93.184.216.34'))).resolves.toEqual({
      address: '93.184.216.34',
      family: 4,
    });
  });

  it('refuses a host with any private address among its answers', async () => {
    const attempt = checkTarget(new URL('https://evil.example.com/'), strict, resolvingTo('93.184.216.34', '10.0.0.5'));
    await expect(attempt).rejects.toBeInstanceOf(UnsafeTargetError);
    await expect(attempt).rejects.toThrow('evil.example.com resolves to 10.0.0.5');
  });

  it('refuses the instance metadata address, literally and IPv4-mapped', async () => {
    await expect(checkTarget(new URL('https://169.254.169.254/latest/'), strict)).rejects.toBeInstanceOf(UnsafeTargetError);
    await expect(checkTarget(new URL('https://[::ffff:169.254.169.254]/'), strict)).rejects.toBeInstanceOf(UnsafeTargetError);
  });

  it('refuses plain http to a public host, and loopback unless the local stack allows it', async () => {
    await expect(checkTarget(new URL('http://hooks.example.com/'), strict, resolvingTo('93.184.216.34'))).rejects.toThrow('must be https');
    await expect(checkTarget(new URL('http://127.0.0.1:8080/'), strict)).rejects.toThrow('loopback');
    await expect(checkTarget(new URL('http://localhost:8080/'), local, resolvingTo('127.0.0.1', '::1'))).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(checkTarget(new URL('http://127.0.0.1:8080/'), local)).resolves.toMatchObject({ address: '127.0.0.1' });
  });

  it('refuses private addresses even on the local stack', async () => {
    await expect(checkTarget(new URL('http://192.168.0.10/'), local)).rejects.toBeInstanceOf(UnsafeTargetError);
  });

  it('refuses other schemes and URLs with credentials', async () => {
    await expect(checkTarget(new URL('ftp://example.com/'), strict)).rejects.toThrow('only https');
    await expect(checkTarget(new URL('https://u:p@example.com/'), strict, resolvingTo('93.184.216.34'))).rejects.toThrow('user name or password');
  });

  it('treats a name that does not resolve as transient', async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(checkTarget(new URL('https://nowhere.invalid/'), strict, failing)).rejects.toBeInstanceOf(TransientDeliveryError);
  });
});
