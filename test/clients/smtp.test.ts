import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { NotifierError, createSmtpNotifier } from '../../clients/smtp.js';
import { type SmtpListener, startSmtpListener } from '../support/smtp-listener.js';

let open: SmtpListener;
let authed: SmtpListener;

beforeAll(async () => {
  open = await startSmtpListener({ rejectRecipients: /^ghost@/ });
  authed = await startSmtpListener({ users: { bot: 'c0rrect-horse' } });
});

afterAll(async () => {
  await open.close();
  await authed.close();
});

async function failure(p: Promise<unknown>): Promise<NotifierError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof NotifierError) return error;
    throw error;
  }
  throw new Error('expected a NotifierError');
}

describe('SMTP notifier', () => {
  it('delivers a message with a text and an HTML part, a stable Message-ID and the recipients', async () => {
    const notifier = createSmtpNotifier({ host: open.host, port: open.port, secure: false, from: 'cloud@example.org', replyTo: 'help@example.org', timeoutMs: 5000 });
    const result = await notifier.send({
      to: ['alice@example.org', 'pi@example.org'], subject: 'Server wëb will be shelved', text: 'Plain body: 7 days.',
      html: '<p>HTML body: <strong>7 days</strong></p>', messageId: '<sweep-1.abc@stratus.lifecycle>',
    });
    notifier.close();
    expect(result).toEqual({ messageId: '<sweep-1.abc@stratus.lifecycle>', accepted: ['alice@example.org', 'pi@example.org'], rejected: [] });
    const [mail] = await open.waitFor(1);
    expect(mail.envelopeTo).toEqual(['alice@example.org', 'pi@example.org']);
    expect(mail.envelopeFrom).toBe('cloud@example.org');
    expect(mail.subject).toBe('Server wëb will be shelved');
    expect(mail.headers['reply-to']).toBe('help@example.org');
    expect(mail.headers['message-id']).toBe('<sweep-1.abc@stratus.lifecycle>');
    expect(mail.text).toBe('Plain body: 7 days.');
    expect(mail.html).toBe('<p>HTML body: <strong>7 days</strong></p>');
  });

  it('logs in when credentials are given', async () => {
    const notifier = createSmtpNotifier({ host: authed.host, port: authed.port, secure: false, from: 'cloud@example.org', auth: { user: 'bot', pass: 'c0rrect-horse' } });
    await notifier.send({ to: ['bob@example.org'], subject: 's', text: 't', html: '<p>t</p>' });
    notifier.close();
    expect(authed.messages.at(-1)?.user).toBe('bot');
  });

  it('reports a refused login clearly, as not retryable, without the password', async () => {
    const notifier = createSmtpNotifier({ host: authed.host, port: authed.port, secure: false, from: 'cloud@example.org', auth: { user: 'bot', pass: 'wr0ng-Secret!' } });
    const e = await failure(notifier.send({ to: ['bob@example.org'], subject: 's', text: 't', html: 't' }));
    notifier.close();
    expect([e.kind, e.retryable, e.code, e.responseCode]).toEqual(['auth', false, 'EAUTH', 535]);
    expect(e.message).toBe(`SMTP server 127.0.0.1:${authed.port} refused the SMTP login (535): check the user and password variables of lifecycle.notify.smtp`);
    const everything = JSON.stringify({ ...e, message: e.message, stack: e.stack });
    expect(everything).not.toContain('wr0ng-Secret!');
    expect(everything).not.toContain(Buffer.from('\0bot\0wr0ng-Secret!').toString('base64'));
  });

  it('reports a refused recipient as a rejection naming the reply', async () => {
    const notifier = createSmtpNotifier({ host: open.host, port: open.port, secure: false, from: 'cloud@example.org' });
    const e = await failure(notifier.send({ to: ['ghost@example.org'], subject: 's', text: 't', html: 't' }));
    notifier.close();
    expect([e.kind, e.retryable, e.responseCode]).toEqual(['rejected', false, 550]);
    expect(e.message).toContain('No such user ghost@example.org');
  });

  it('reports an unreachable or silent server as a retryable connection error', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => { sockets.push(socket); }); // accepts, never greets
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const notifier = createSmtpNotifier({ host: '127.0.0.1', port, secure: false, from: 'cloud@example.org', timeoutMs: 300 });
    const e = await failure(notifier.send({ to: ['a@example.org'], subject: 's', text: 't', html: 't' }));
    notifier.close();
    sockets.forEach((socket) => socket.destroy());
    await new Promise<void>((r) => silent.close(() => r()));
    expect([e.kind, e.retryable]).toEqual(['connection', true]);
    expect(e.message).toMatch(new RegExp(`^SMTP server 127\\.0\\.0\\.1:${port} unreachable \\(E[A-Z]+\\)`));
  });
});
