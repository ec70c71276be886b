// No SSRF from a config item: a channel's URL (or a Slack/Discord webhook URL
// from its secret) may only reach a public address over https. Every address
// the host resolves to is checked (an attacker's DNS may answer one public
// and one private address), IPv4 and IPv6, including IPv4 addresses carried
// inside IPv6 (mapped ::ffff:a.b.c.d, NAT64, 6to4). The sender then connects
// to the address checked here, not to a second lookup (DNS rebinding).
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { TransientDeliveryError, UnsafeTargetError } from '../errors.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface TargetPolicy {
  /** The local stack only (DELIVER_LOCAL_STACK): plain http and loopback addresses are allowed, nothing else private. */
  allowLoopback: boolean;
}

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, the instance metadata service
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo: the client address is hidden inside
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** 16 bytes of an IPv6 address (with "::" and a trailing dotted quad), or null. */
function ipv6Bytes(address: string): number[] | null {
  let text = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v4 = (quad[1] as string).split('.').map(Number);
    text = `${text.slice(0, -(quad[1] as string).length)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const [head, tail, extra] = text.split('::');
  if (extra !== undefined) return null;
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const all = [...h, ...Array(fill).fill('0'), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** The IPv4 address an IPv6 address carries, when it is one of the forms that route to it. */
function embeddedIpv4(bytes: number[]): string | null {
  const zero = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  const quad = (from: number) => bytes.slice(from, from + 4).join('.');
  if (zero(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return quad(12); // ::ffff:a.b.c.d (mapped)
  if (zero(0, 12) && !zero(12, 16)) return quad(12); // ::a.b.c.d (IPv4-compatible)
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zero(4, 12)) return quad(12); // 64:ff9b::/96
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return quad(2); // 6to4
  return null;
}

export type AddressClass = 'public' | 'loopback' | 'private';

export function classifyAddress(address: string): AddressClass {
  const family = isIP(address.replace(/^\[|\]$/g, ''));
  if (family === 4) {
    if (address.startsWith('127.')) return 'loopback';
    return blocked.check(address, 'ipv4') ? 'private' : 'public';
  }
  if (family !== 6) return 'private';
  const bytes = ipv6Bytes(address);
  if (bytes === null) return 'private';
  // ::1 before the IPv4-compatible form, which would read it as 0.0.0.1.
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return 'loopback';
  const v4 = embeddedIpv4(bytes);
  if (v4 !== null) return classifyAddress(v4);
  const plain = address.replace(/^\[|\]$/g, '');
  return blocked.check(plain, 'ipv6') ? 'private' : 'public';
}

/**
 * Checks a URL and returns the address to connect to. Refuses (UnsafeTargetError)
 * anything but https to public addresses; with `allowLoopback`, also
 * http/https to loopback addresses (the local fakes). A name that does not
 * resolve is transient: DNS may be back on the next attempt.
 */
export async function checkTarget(url: URL, policy: TargetPolicy, resolve: Resolver = systemResolver): Promise<ResolvedAddress> {
  const shown = `${url.protocol}//${url.host}`;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UnsafeTargetError(shown, 'only https URLs are allowed');
  if (url.username !== '' || url.password !== '') throw new UnsafeTargetError(shown, 'URLs with a user name or password are not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal !== 0) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'lookup failed';
      throw new TransientDeliveryError(`cannot resolve ${url.host}: ${code}`, { cause });
    }
    if (addresses.length === 0) throw new TransientDeliveryError(`cannot resolve ${url.host}: no addresses`);
  }
  const classes = addresses.map((a) => ({ ...a, kind: classifyAddress(a.address) }));
  const refused = classes.find((a) => a.kind === 'private' || (a.kind === 'loopback' && !policy.allowLoopback));
  if (refused) {
    throw new UnsafeTargetError(shown, `${host === refused.address ? 'it' : `${host} resolves to ${refused.address}, which`} is a ${refused.kind === 'loopback' ? 'loopback' : 'private, link-local or reserved'} address`);
  }
  const everyLoopback = classes.every((a) => a.kind === 'loopback');
  if (url.protocol === 'http:' && !(policy.allowLoopback && everyLoopback)) {
    throw new UnsafeTargetError(shown, 'must be https (plain http only to loopback on the local stack)');
  }
  if (!everyLoopback && classes.some((a) => a.kind === 'loopback')) {
    throw new UnsafeTargetError(shown, `${host} resolves to both loopback and public addresses`);
  }
  const first = addresses[0] as ResolvedAddress;
  return { address: first.address, family: first.family };
}
