import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createSmsSender, otpMessage } from '../../src/accounts/sms.ts';

describe('SMS drivers', () => {
  it('outbox appends one JSON line {mobile, message, at} per message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plio-sms-'));
    try {
      const file = join(dir, 'outbox.jsonl');
      const sms = createSmsSender({ driver: 'outbox', outboxFile: file }, pino({ level: 'silent' }));
      await sms.send('+919000000001', otpMessage('123456'));
      await sms.send('+919000000002', 'second');
      const lines = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
      assert.equal(lines.length, 2);
      assert.equal(lines[0].mobile, '+919000000001');
      assert.match(lines[0].message, /123456/);
      assert.ok(!Number.isNaN(Date.parse(lines[0].at)));
      assert.deepEqual(Object.keys(lines[1]).sort(), ['at', 'message', 'mobile']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('log writes the message to the server log', async () => {
    const written: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => written.push(line) });
    await createSmsSender({ driver: 'log', outboxFile: undefined }, log).send('+919000000003', 'hello');
    assert.equal(written.length, 1);
    assert.deepEqual({ ...JSON.parse(written[0]!), time: 0, pid: 0, hostname: '' }, {
      level: 30,
      time: 0,
      pid: 0,
      hostname: '',
      mobile: '+919000000003',
      sms: 'hello',
      msg: 'sms (log driver)',
    });
  });

  it('sns publishes through the AWS SDK (to a local fake SNS endpoint)', async () => {
    const requests: string[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        requests.push(body);
        if (String(request.headers['content-type']).includes('json')) {
          response.setHeader('content-type', 'application/x-amz-json-1.0');
          response.end(JSON.stringify({ MessageId: 'fake-message-id' }));
        } else {
          response.setHeader('content-type', 'text/xml');
          response.end(
            '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>fake-message-id</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
          );
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SNS: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_REGION: 'ap-south-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    try {
      await createSmsSender({ driver: 'sns', outboxFile: undefined }, pino({ level: 'silent' })).send('+919000000004', otpMessage('654321'));
      assert.equal(requests.length, 1);
      const sent = decodeURIComponent(requests[0]!.replaceAll('+', ' '));
      assert.match(sent, /\+919000000004/);
      assert.match(sent, /654321/);
    } finally {
      process.env = saved;
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
