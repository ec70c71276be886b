// The token, webhook URL or signing secret a channel names. Deployed: from
// Secrets Manager (by name or ARN, under kfa/channels/), cached for a few
// minutes per container so a rotated secret takes effect without a redeploy.
// On the local stack: a KFA_CHANNEL_* variable the config module collected.
// Values never reach an error message or a log line.
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Channel } from './channel.ts';
import { ChannelConfigError, TransientDeliveryError } from './errors.ts';

export interface ChannelSecrets {
  /** The raw secret string (JSON or plain); `secretValue` picks the channel's part. */
  resolve(channel: Channel): Promise<string>;
}

export interface ChannelSecretSourceOptions {
  /** Secrets Manager; null where only local secrets exist. */
  client: SecretsManagerClient | null;
  /** KFA_CHANNEL_* variables (local stack only; empty otherwise). */
  localSecrets: Readonly<Record<string, string>>;
  ttlMs?: number;
  now?: () => number;
}

/** The secret is missing or this role may not read it: a person has to act. */
const CONFIG_FAILURES = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'DecryptionFailure', 'InvalidRequestException']);

export class ChannelSecretSource implements ChannelSecrets {
  private readonly cache = new Map<string, { value: string; at: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ChannelSecretSourceOptions) {
    this.ttlMs = options.ttlMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  async resolve(channel: Channel): Promise<string> {
    const ref = channel.secret;
    if (ref.kind === 'env') {
      const value = this.options.localSecrets[ref.variable];
      if (value === undefined || value === '') {
        throw new ChannelConfigError(channel.name, [`${ref.variable} is not set (secret_env works only on the local stack, DELIVER_LOCAL_STACK=true)`]);
      }
      return value;
    }
    const cached = this.cache.get(ref.id);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.value;
    if (!this.options.client) throw new ChannelConfigError(channel.name, ['no Secrets Manager client: secrets by name or ARN need AWS']);
    let value: string | undefined;
    try {
      value = (await this.options.client.send(new GetSecretValueCommand({ SecretId: ref.id }))).SecretString;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      if (CONFIG_FAILURES.has(name)) {
        throw new ChannelConfigError(channel.name, [`secret ${ref.id} cannot be read (${name})`], { cause: error });
      }
      throw new TransientDeliveryError(`secret ${ref.id} could not be fetched (${name})`, { cause: error });
    }
    if (value === undefined) throw new ChannelConfigError(channel.name, [`secret ${ref.id} has no string value`]);
    this.cache.set(ref.id, { value, at: this.now() });
    return value;
  }
}
