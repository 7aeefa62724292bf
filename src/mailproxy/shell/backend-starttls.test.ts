/**
 * STARTTLS to backends, line by line for each protocol: the commands, the go-ahead, the greeting
 * kept for the login dialogue, and the refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendStarttls, type StarttlsStep } from './backend-starttls.js';

function run(protocol: 'imap' | 'pop3' | 'smtp', lines: string[]): Array<string> {
  const d = backendStarttls(protocol, 'proxy.test');
  return lines.map((l) => show(d.onLine(Buffer.from(l, 'latin1'))));
}

function show(step: StarttlsStep): string {
  switch (step.kind) {
    case 'send':
      return `send ${JSON.stringify(step.bytes.toString('latin1'))}`;
    case 'more':
      return 'more';
    case 'handshake':
      return `handshake ${JSON.stringify(step.greeting.map((g) => g.toString('latin1')))}`;
    case 'refused':
      return `refused ${step.detail}: ${step.line}`;
  }
}

test('IMAP: . STARTTLS after the greeting, untagged lines skipped, the greeting kept', () => {
  assert.deepEqual(run('imap', ['* OK [CAPABILITY IMAP4rev1 STARTTLS] ready', '* CAPABILITY IMAP4rev1', '. OK begin TLS']), [
    'send ". STARTTLS\\r\\n"',
    'more',
    'handshake ["* OK [CAPABILITY IMAP4rev1 STARTTLS] ready"]',
  ]);
  assert.deepEqual(run('imap', ['* PREAUTH hi']), ['refused the backend greeting is not "* OK": * PREAUTH hi']);
  assert.deepEqual(run('imap', ['* OK hi', '. BAD no TLS here']), ['send ". STARTTLS\\r\\n"', 'refused the backend refused STARTTLS: . BAD no TLS here']);
});

test('POP3: STLS after the greeting', () => {
  assert.deepEqual(run('pop3', ['+OK Dovecot ready.', '+OK Begin TLS negotiation now.']), ['send "STLS\\r\\n"', 'handshake ["+OK Dovecot ready."]']);
  assert.deepEqual(run('pop3', ['+OK hi', '-ERR no']), ['send "STLS\\r\\n"', 'refused the backend refused STLS: -ERR no']);
});

test('SMTP: EHLO with our name, then STARTTLS; multi-line replies; the whole greeting kept', () => {
  assert.deepEqual(run('smtp', ['220-sink.test ESMTP', '220 hello', '250-sink.test', '250-STARTTLS', '250 8BITMIME', '220 go ahead']), [
    'more',
    'send "EHLO proxy.test\\r\\n"',
    'more',
    'more',
    'send "STARTTLS\\r\\n"',
    'handshake ["220-sink.test ESMTP","220 hello"]',
  ]);
  assert.deepEqual(run('smtp', ['554 go away']), ['refused the backend greeting is not 220: 554 go away']);
  assert.deepEqual(run('smtp', ['220 hi', '250 ok', '454 TLS not available']), ['send "EHLO proxy.test\\r\\n"', 'send "STARTTLS\\r\\n"', 'refused the backend refused STARTTLS: 454 TLS not available']);
  assert.deepEqual(run('smtp', ['hello']), ['refused the backend sent a line that is not an SMTP reply: hello']);
});
