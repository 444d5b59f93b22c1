import { escapeHtml, humanSize, renderDownloadPage } from '../../dashboard/download-page.js';
import { type FeedImage, type StreamFeed } from '../../workflows/image-types.js';

const image = (id: string, date: string, over: Partial<FeedImage> = {}): FeedImage => ({
  id,
  date,
  baseRelease: 'fedora-42',
  status: 'published',
  glanceImageId: null,
  files: [
    {
      file: 'disk.qcow2',
      path: `atomic-host/${id}/disk.qcow2`,
      url: null,
      sha256: 'ab'.repeat(32),
      size: 1536,
      kind: 'qcow2',
    },
  ],
  ...over,
});

const feed = (stream: string, over: Partial<StreamFeed> = {}): StreamFeed => ({
  stream,
  published: null,
  stale: false,
  revoked: [],
  warning: null,
  warnings: [],
  trackerUrl: null,
  revokedNotice: null,
  ...over,
});

describe('download page', () => {
  it('shows one section per stream, sorted, with the image date, id, files and checksums', () => {
    const html = renderDownloadPage({
      feeds: [
        feed('zeta', { published: image('zeta-20250102.1', '2025-01-02T02:00:00.000Z', { glanceImageId: 'c0ffee-11' }) }),
        feed('atomic-host', { published: image('atomic-host-20250114.2', '2025-01-14T02:00:00.000Z') }),
      ],
    });
    expect(html.indexOf('id="stream-atomic-host"')).toBeLessThan(html.indexOf('id="stream-zeta"'));
    expect(html).toContain('<h2 id="stream-atomic-host-title">atomic-host</h2>');
    expect(html).toContain('Image of <time datetime="2025-01-14T02:00:00.000Z">2025-01-14</time>');
    expect(html).toContain('<code>atomic-host-20250114.2</code>');
    expect(html).toContain(`<code class="sha">${'ab'.repeat(32)}</code>`);
    expect(html).toContain('<a href="atomic-host/atomic-host-20250114.2/disk.qcow2" download>disk.qcow2</a>');
    expect(html).toContain('<data value="1536">1.5 KiB</data>');
    expect(html).toContain('<dt>Launch in OpenStack</dt><dd>Glance image id <code>c0ffee-11</code></dd>');
    expect(html).toMatch(/<main>[\s\S]*<\/main>/);
    expect(html).not.toContain('role="alert"');
    expect(html).not.toContain('role="status"');
  });

  it('marks a stale stream with a status banner linking the failure report', () => {
    const html = renderDownloadPage({
      feeds: [feed('atomic-host', { published: image('atomic-host-20250101.1', '2025-01-01T02:00:00Z'), stale: true, trackerUrl: 'https://jira.example.org/browse/ATMO-7' })],
    });
    expect(html).toContain(
      '<div class="banner stale" role="status"><h3>Stale image</h3><p>No newer image has passed its tests. The image below was built on 2025-01-01. <a href="https://jira.example.org/browse/ATMO-7">See the failure report</a>.</p></div>',
    );
  });

  it('announces a revocation and lists revoked images', () => {
    const html = renderDownloadPage({
      feeds: [
        feed('atomic-host', {
          published: image('atomic-host-20250101.1', '2025-01-01T02:00:00Z'),
          revoked: ['atomic-host-20250115.1'],
          revokedNotice: { imageId: 'atomic-host-20250115.1', reason: 'kernel panics on boot' },
        }),
      ],
    });
    expect(html).toContain(
      '<div class="banner revoked" role="alert"><h3>Previous image was revoked</h3><p>Image <strong>atomic-host-20250115.1</strong> was revoked: kernel panics on boot. The image below (atomic-host-20250101.1) is the earlier good image. Do not use the revoked image.</p></div>',
    );
    expect(html).toContain('<summary>Revoked images (1)</summary><ul><li><code>atomic-host-20250115.1</code></li></ul>');
  });

  it('says when a stream has no image, and when there are no streams', () => {
    const none = renderDownloadPage({
      feeds: [feed('atomic-host', { revokedNotice: { imageId: 'atomic-host-20250101.1', reason: 'bad' }, revoked: ['atomic-host-20250101.1'] })],
    });
    expect(none).toContain('No image of this stream is available yet.');
    expect(none).toContain('No earlier good image is available.');
    expect(renderDownloadPage({ feeds: [] })).toContain('<p>No image streams have been published yet.</p>');
  });

  it('escapes every piece of user-controlled text and refuses script URLs', () => {
    const evil = '<script>alert(1)</script>';
    const html = renderDownloadPage({
      title: `Images ${evil}`,
      feeds: [
        feed(`s${evil}`, {
          published: image(`id${evil}`, `2025-01-01${evil}`, {
            baseRelease: evil,
            glanceImageId: evil,
            files: [{ file: `f"${evil}`, path: `s/i/f"${evil}`, url: null, sha256: evil, size: 1, kind: 'other' }],
          }),
          stale: true,
          trackerUrl: 'javascript:alert(1)',
          revoked: [evil],
          revokedNotice: { imageId: evil, reason: `"><img src=x onerror=alert(1)>` },
        }),
      ],
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('See the failure report: javascript:alert(1).');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('href="s/i/f%22%3Cscript%3Ealert(1)%3C/script%3E"');
    expect(html).toContain('id="stream-s_script_alert_1___script_"');
  });

  it('renders the same bytes for the same feeds', () => {
    const feeds = [feed('b', { stale: true }), feed('a', { published: image('a-20250101.1', '2025-01-01T00:00:00Z') })];
    expect(renderDownloadPage({ feeds })).toBe(renderDownloadPage({ feeds: [...feeds].reverse() }));
  });

  it('helpers', () => {
    expect(escapeHtml(`a&b<c>"d"'e'`)).toBe('a&amp;b&lt;c&gt;&quot;d&quot;&#39;e&#39;');
    expect([0, 1, 1023, 1024, 5 * 1024 ** 3].map(humanSize)).toEqual(['0 bytes', '1 byte', '1023 bytes', '1.0 KiB', '5.0 GiB']);
  });
});
