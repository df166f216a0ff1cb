import { appendFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';

/** Sends text messages (one-time passwords) through the driver `SMS_DRIVER` names. */
export interface SmsSender {
  send(mobile: string, message: string): Promise<void>;
}

export function createSmsSender(sms: Config['sms'], log: Logger): SmsSender {
  switch (sms.driver) {
    case 'outbox':
      return outboxSender(sms.outboxFile!);
    case 'sns':
      return snsSender();
    case 'log':
      return { send: async (mobile, message) => log.info({ mobile, sms: message }, 'sms (log driver)') };
  }
}

/** One JSON line `{mobile, message, at}` per message: what tests and staging read. */
function outboxSender(file: string): SmsSender {
  return {
    async send(mobile, message) {
      await appendFile(file, `${JSON.stringify({ mobile, message, at: new Date().toISOString() })}\n`);
    },
  };
}

/** AWS SNS, with credentials and region from the usual AWS environment. Loaded only when chosen. */
function snsSender(): SmsSender {
  let client: Promise<{ send(mobile: string, message: string): Promise<void> }> | undefined;
  const connect = async () => {
    const { SNSClient, PublishCommand } = await import('@aws-sdk/client-sns');
    const sns = new SNSClient({});
    return {
      async send(mobile: string, message: string) {
        await sns.send(
          new PublishCommand({
            PhoneNumber: mobile,
            Message: message,
            MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
          }),
        );
      },
    };
  };
  return {
    async send(mobile, message) {
      client ??= connect();
      await (await client).send(mobile, message);
    },
  };
}

export function otpMessage(code: string): string {
  return `Hello! Your OTP for Plio login is ${code}. It is valid for the next 5 minutes. Please do not share it with anyone.`;
}
