// Publishes one alert. The message (default/email/sms bodies, subject,
// attributes) is built by the domain; this only hands it to SNS.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

export interface AlertMessage {
  subject: string;
  /** `{"default": …, "email": …, "sms": …}` as a string: sent with MessageStructure json. */
  messageJson: string;
  /** Filterable attributes (stk_cd, rule, direction, severity), all sent as String. */
  attributes: Record<string, string>;
}

export interface AlertPublisher {
  publish(message: AlertMessage): Promise<{ messageId: string }>;
}

export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    readonly topicArn: string,
    options?: ErrorOptions,
  ) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.name}: ${options.cause.message}` : '';
    super(`SNS publish to ${topicArn} failed${reason}`, options);
  }
}

export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly sns: SNSClient,
    readonly topicArn: string,
  ) {}

  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    let messageId: string | undefined;
    try {
      const out = await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          MessageStructure: 'json',
          Message: message.messageJson,
          Subject: message.subject,
          MessageAttributes: Object.fromEntries(
            Object.entries(message.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
          ),
        }),
      );
      messageId = out.MessageId;
    } catch (cause) {
      throw new PublishError(this.topicArn, { cause });
    }
    if (!messageId) throw new PublishError(this.topicArn, { cause: new Error('SNS returned no MessageId') });
    return { messageId };
  }
}
