// kfa channels add|list|remove|test: the chat channels the deliver function
// sends alerts to (items in the History table, partition `kfa-channels`).
// Saving checks the item's schema, reads the secret it names, and refuses a
// URL whose host is not a public https address, so a bad channel is caught
// here rather than at the first alert.
import type { Command } from 'commander';
import {
  CHANNEL_TYPES,
  describeFilter,
  parseChannel,
  toChannelItem,
  type Channel,
} from '../../functions/deliver/channel.ts';
import { ChannelConfigError, DeliveryError, TransientDeliveryError, UnsafeTargetError } from '../../functions/deliver/errors.ts';
import { checkTarget } from '../../functions/deliver/http/address-guard.ts';
import { GuardedHttpSender } from '../../functions/deliver/http/sender.ts';
import { ChannelSecretSource } from '../../functions/deliver/secrets.ts';
import { ChannelStore } from '../../functions/deliver/store/channel-store.ts';
import { sendTestMessage } from '../../functions/deliver/test-message.ts';
import { secretValue, shownTarget } from '../../functions/deliver/transports.ts';
import { cliContext } from '../context.ts';
import { cell, out, say } from '../print.ts';
import { EXIT, UsageError } from '../exit.ts';

interface AddOptions {
  type: string;
  chatId?: string;
  url?: string;
  secret: string;
  severities?: string;
  codes?: string;
  rules?: string;
  disabled?: boolean;
}

type ChannelContext = Awaited<ReturnType<typeof channelContext>>;

async function channelContext() {
  const { config, aws } = await cliContext();
  return {
    config,
    store: new ChannelStore(aws.doc, config.historyTable),
    secrets: new ChannelSecretSource({ client: aws.secrets, localSecrets: config.deliver.localSecrets }),
    policy: { allowLoopback: config.deliver.localStack },
  };
}

/** `--secret env:KFA_CHANNEL_X` names a local variable; anything else a Secrets Manager name or ARN. */
export function itemFromOptions(name: string, options: AddOptions): Record<string, unknown> {
  const secret = options.secret.trim();
  return {
    name,
    type: options.type,
    ...(options.chatId !== undefined ? { chat_id: options.chatId } : {}),
    ...(options.url !== undefined ? { url: options.url } : {}),
    ...(secret.startsWith('env:') ? { secret_env: secret.slice(4) } : { secret }),
    ...(options.severities !== undefined ? { severities: options.severities } : {}),
    ...(options.codes !== undefined ? { codes: options.codes } : {}),
    ...(options.rules !== undefined ? { rules: options.rules } : {}),
    enabled: !options.disabled,
  };
}

/**
 * Reads the secret and checks where the channel would send; every refusal is
 * a usage error naming why. A Slack or Discord URL lives in the secret, so
 * for them an unreadable secret is a refusal too; a Telegram token or a
 * signing secret that cannot be fetched right now (no network, no
 * credentials) only earns a warning, since sending checks it again.
 */
async function checkReachable(channel: Channel, context: ChannelContext): Promise<void> {
  try {
    if (channel.type === 'webhook') await checkTarget(new URL(channel.url as string), context.policy);
    let raw: string;
    try {
      raw = await context.secrets.resolve(channel);
    } catch (error) {
      const urlInSecret = channel.type === 'slack' || channel.type === 'discord';
      if (error instanceof TransientDeliveryError && !urlInSecret) {
        say(`warning: ${error.message}; saved without checking it (try "kfa channels test ${channel.name}")`);
        return;
      }
      throw error;
    }
    const secret = secretValue(channel, raw);
    if (channel.type === 'slack' || channel.type === 'discord') await checkTarget(new URL(secret), context.policy);
  } catch (error) {
    if (error instanceof UnsafeTargetError) throw new UsageError(`channel ${channel.name}: ${error.message}`);
    if (error instanceof ChannelConfigError) throw new UsageError(error.message);
    if (error instanceof DeliveryError) throw new UsageError(`channel ${channel.name}: ${error.message}; not saved`);
    throw error;
  }
}

export function registerChannelCommands(program: Command): void {
  const channels = program.command('channels').description('chat channels for alerts: Telegram, Slack, Discord, signed webhooks');

  channels
    .command('add <name>')
    .description('add a channel or replace one of the same name (checks the secret and the target first)')
    .requiredOption('--type <type>', `one of ${CHANNEL_TYPES.join(', ')}`)
    .option('--chat-id <id>', 'telegram: the chat id (-100… for groups and channels) or @channelname')
    .option('--url <url>', 'webhook: where to POST (https)')
    .requiredOption('--secret <name|arn>', 'Secrets Manager secret under kfa/channels/ (bot token, Slack/Discord webhook URL, or signing secret); env:KFA_CHANNEL_… on the local stack')
    .option('--severities <list>', 'only these severities (critical,warning,info)')
    .option('--codes <list>', 'only these stock codes')
    .option('--rules <list>', 'only these rule ids')
    .option('--disabled', 'save the channel but send nothing to it')
    .action(async (name: string, options: AddOptions) => {
      const context = await channelContext();
      let channel: Channel;
      try {
        channel = parseChannel(itemFromOptions(name, options));
      } catch (error) {
        if (error instanceof ChannelConfigError) throw new UsageError(error.message);
        throw error;
      }
      await checkReachable(channel, context);
      const replaced = await context.store.put(toChannelItem(channel), new Date());
      say(`${replaced ? 'replaced' : 'added'} ${channel.type} channel ${channel.name}: ${shownTarget(channel)}, ${describeFilter(channel.filter)}${channel.enabled ? '' : ' (disabled)'}`);
    });

  channels
    .command('list')
    .description('show every channel (secrets are named, never shown)')
    .option('--json', 'print the channels as JSON')
    .action(async (options: { json?: boolean }) => {
      const { store } = await channelContext();
      const stored = (await store.list()).sort((a, b) => String(a.item.sk).localeCompare(String(b.item.sk)));
      if (options.json) {
        const listing = stored.map(({ item, channel, problem }) => ({
          ...(channel ? toChannelItem(channel) : publicItem(item)),
          valid: channel !== null,
          ...(problem ? { problem } : {}),
        }));
        out(`${JSON.stringify(listing, null, 2)}\n`);
        return;
      }
      if (stored.length === 0) say('no channels yet: add one with "kfa channels add <name> --type telegram --chat-id … --secret kfa/channels/…"');
      for (const { item, channel, problem } of stored) {
        const line = channel
          ? `${channel.name.padEnd(16)} ${channel.type.padEnd(8)} ${channel.enabled ? 'enabled ' : 'disabled'} ${cell(shownTarget(channel))} · ${describeFilter(channel.filter)}`
          : `${cell(String(item.sk)).padEnd(16)} INVALID: ${cell(problem ?? '')}`;
        out(`${line}\n`);
      }
    });

  channels
    .command('remove <name>')
    .description('delete a channel (its delivery history is kept)')
    .action(async (name: string) => {
      const { store } = await channelContext();
      if (!(await store.remove(name))) throw new UsageError(`there is no channel named ${name}`);
      say(`removed ${name}`);
    });

  channels
    .command('test <name>')
    .description('send a clearly marked test message and print the API\'s answer (secrets masked)')
    .action(async (name: string) => {
      const context = await channelContext();
      const stored = await context.store.get(name);
      if (!stored) throw new UsageError(`there is no channel named ${name}`);
      if (!stored.channel) throw new UsageError(stored.problem ?? `channel ${name} is invalid`);
      const result = await sendTestMessage(
        {
          sender: new GuardedHttpSender(context.policy),
          secrets: context.secrets,
          telegramApiUrl: context.config.deliver.telegramApiUrl,
          now: () => new Date(),
        },
        stored.channel,
      );
      // The API's answer is text from the network: printed escaped, like every stored value.
      for (const a of result.answers) out(`POST ${a.url} → ${a.status ?? 'no answer'}\n${cell(a.answer)}\n`);
      if (!result.ok) {
        const wait = result.retryAfterMs === undefined ? '' : ` (retry after ${Math.ceil(result.retryAfterMs / 1000)} s)`;
        say(`test message to ${name} failed: ${result.error}${wait}`);
        process.exitCode = EXIT.failed;
        return;
      }
      say(`test message delivered to ${name} (${stored.channel.type}, ${shownTarget(stored.channel)})`);
    });
}

/** An invalid item as stored, minus the table's own key attributes. */
function publicItem(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk, ...rest } = item;
  return { name: sk, ...rest };
}
