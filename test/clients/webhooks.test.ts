// CloudEvents over real HTTP: a local listener that can answer 202, 503 or 404. The activity
// delivers once per target across retries, and no URL (they carry tokens) reaches an error.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createWebhookActivities } from '../../activities/webhooks.js';
import { createWebhookPoster, InvalidWebhookError } from '../../clients/webhooks.js';
import { type ImageEvent } from '../../workflows/image-stream-model.js';

let server: Server;
let base: string;
const received: Array<{ path: string; contentType?: string; body: Record<string, unknown> }> = [];
/** path → statuses to answer next (then 202). */
const script = new Map<string, number[]>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => {
      const status = script.get(req.url!)?.shift() ?? 202;
      if (status < 300) received.push({ path: req.url!, contentType: req.headers['content-type'], body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  received.length = 0;
  script.clear();
});

const noop = (): void => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

const event: ImageEvent = {
  id: 'image-build-atomic-20250301.1/build.passed', kind: 'build.passed', stream: 'atomic', imageId: 'atomic-20250301.1',
  time: '2025-03-01T02:10:00.000Z', data: { status: 'passed' },
};

it('posts a CloudEvents 1.0 structured JSON event to every URL', async () => {
  const { postImageEvent } = createWebhookActivities({ poster: createWebhookPoster({ urls: [`${base}/a?token=s3cret`, `${base}/b`] }) });
  await expect(postImageEvent(event)).resolves.toEqual({ delivered: 2, rejected: [] });
  expect(received.map((r) => r.path).sort()).toEqual(['/a?token=s3cret', '/b']);
  expect(received[0].contentType).toBe('application/cloudevents+json; charset=utf-8');
  expect(received[0].body).toEqual({
    specversion: '1.0', id: event.id, source: '/stratus/image-stream/atomic', type: 'org.stratus.image.build.passed',
    time: event.time, subject: 'atomic-20250301.1', datacontenttype: 'application/json',
    data: { stream: 'atomic', imageId: 'atomic-20250301.1', status: 'passed' },
  });
});

it('a retry after a 503 posts only to the target that missed it; a 404 is given up without a retry', async () => {
  const urls = [`${base}/ok`, `${base}/flaky/hook-secret`, `${base}/gone`];
  const { postImageEvent } = createWebhookActivities({ poster: createWebhookPoster({ urls }) });
  script.set('/flaky/hook-secret', [503]);
  script.set('/gone', [404]);
  const env = new MockActivityEnvironment({}, { logger: quiet });
  let details: unknown;
  env.on('heartbeat', (d: unknown) => (details = d));
  const first = await env.run(postImageEvent, event).then(() => undefined, (e: unknown) => e);
  expect(first).toBeInstanceOf(ApplicationFailure);
  expect((first as ApplicationFailure).message).toBe(`event ${event.id} not delivered to webhooks[1] (127.0.0.1:${new URL(base).port}): HTTP 503`);
  expect((first as ApplicationFailure).message).not.toContain('secret');
  expect(received.map((r) => r.path)).toEqual(['/ok']);

  const retry = new MockActivityEnvironment({ heartbeatDetails: details }, { logger: quiet });
  await expect(retry.run(postImageEvent, event)).resolves.toEqual({ delivered: 2, rejected: [`webhooks[2] (127.0.0.1:${new URL(base).port}): HTTP 404`] });
  expect(received.map((r) => r.path)).toEqual(['/ok', '/flaky/hook-secret']);
});

it('an unreachable target is retryable and named without its URL', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const poster = createWebhookPoster({ urls: [`http://127.0.0.1:${port}/t0ken`], timeoutMs: 2000 });
  const [outcome] = await poster.post({ specversion: '1.0', id: 'x', source: '/s', type: 't', time: event.time, datacontenttype: 'application/json', data: {} });
  expect(outcome).toEqual({ target: 0, ok: false, retryable: true, detail: `webhooks[0] (127.0.0.1:${port}): network error ECONNREFUSED` });
});

it('no webhooks configured: nothing is posted', async () => {
  await expect(createWebhookActivities({ poster: null }).postImageEvent(event)).resolves.toEqual({ delivered: 0, rejected: [] });
});

it('rejects a bad URL by its index, never echoing it', () => {
  expect(() => createWebhookPoster({ urls: ['https://ok.example', 'ftp://user:pw@host/x'] })).toThrow(new InvalidWebhookError('webhooks[1] must be an http(s) URL'));
  expect(() => createWebhookPoster({ urls: ['not a url with secret'] })).toThrow('webhooks[0] is not a valid URL');
});

it('the config names a bad webhook URL by its dotted path', async () => {
  const { parseConfig } = await import('../../config/load.js');
  const yaml = `images:\n  site: { outDir: ./site }\n  webhooks: ["https://hooks.example.org/a", "ftp://files.example.org/x"]\n  streams:\n    - { name: s, base: f42, build: { command: [./b.sh] } }\n`;
  expect(() => parseConfig(yaml)).toThrow(expect.objectContaining({
    problems: [expect.objectContaining({ path: 'images.webhooks.1', message: expect.stringContaining('must be an http(s) URL') })],
  }));
});
