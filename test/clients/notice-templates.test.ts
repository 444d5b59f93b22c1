import { esc, renderNotice, type NoticeResource } from '../../clients/notice-templates.js';

const ctx = { cloudName: 'Research Cloud', exemptMetadataKey: 'stratus:exempt', helpContact: 'https://support.example.org', reference: 'sweep-2026-03-08' };

const web: NoticeResource = {
  type: 'server', id: 'srv-1', name: 'web', projectId: 'p1', rule: 'shelve-stopped', effect: 'shelve', at: '2026-03-15T03:00:00.000Z',
  reason: 'stopped since 2026-03-01 (7 days, from the instance action log) — rule shelve-stopped shelves after 14 days',
};

describe('notice templates', () => {
  it('says what will happen, to which server, when, why and how to keep it, in both parts', () => {
    const n = renderNotice({ stage: 'warn-7d', resources: [web] }, ctx);
    expect(n.subject).toBe('[Research Cloud] server web will be shelved on or after 2026-03-15');
    for (const body of [n.text, n.html]) {
      expect(body).toContain('This is the 7d warning.');
      expect(body).toContain('server web (srv-1, project p1)');
      expect(body).toContain('Will be shelved on or after 2026-03-15 (UTC).');
      expect(body).toContain('stopped since 2026-03-01 (7 days, from the instance action log)');
      expect(body).toContain('openstack server set --property stratus:exempt=until:YYYY-MM-DD');
      expect(body).toContain('https://support.example.org');
      expect(body).toContain('Reference: sweep-2026-03-08');
    }
  });

  it('escapes names and reasons in HTML and leaves the text part readable', () => {
    const evil = { ...web, name: '<script>alert("x")</script>', reason: 'Tom & Jerry\'s <b>box</b>' };
    const n = renderNotice({ stage: 'warn-1d', resources: [evil] }, ctx);
    expect(n.html).not.toContain('<script>');
    expect(n.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(n.html).toContain('Tom &amp; Jerry&#39;s &lt;b&gt;box&lt;/b&gt;');
    expect(n.text).toContain('server <script>alert("x")</script> (srv-1, project p1)');
    expect(esc('a<b>&"\'')).toBe('a&lt;b&gt;&amp;&quot;&#39;');
  });

  it('groups a project purge into one message and tells how to renew', () => {
    const resources: NoticeResource[] = ['fip-1', 'vol-1'].map((id, i) => ({
      type: i === 0 ? 'floating-ip' : 'volume', id, name: id, projectId: 'p9', rule: 'expire-allocation', effect: 'delete',
      at: '2026-02-28T00:00:00.000Z', reason: 'allocation of project p9 ended on 2025-09-01',
    }));
    const n = renderNotice({ stage: 'warn-30d', resources }, ctx);
    expect(n.subject).toBe('[Research Cloud] 2 resources will be deleted on or after 2026-02-28');
    expect(n.text).toContain("Renew the project's allocation before the date above");
    expect(n.text).toContain('- floating IP fip-1 (fip-1, project p9)');
    expect(n.text).toContain('- volume vol-1 (vol-1, project p9)');
  });

  it('tells dependants of an EOL or expiring image which image and what to do', () => {
    const eol: NoticeResource = { ...web, rule: 'retire-eol-images', effect: 'image-eol', at: '2023-05-31T00:00:00.000Z', image: { id: 'img-u18', name: 'Ubuntu 18.04' }, reason: 'built on image Ubuntu 18.04' };
    const now = renderNotice({ stage: 'eol', resources: [eol] }, ctx);
    expect(now.subject).toBe('[Research Cloud] server web built on an end-of-life image: please migrate now');
    expect(now.text).toContain('Built on image Ubuntu 18.04 (img-u18), end of life 2023-05-31.');
    expect(now.text).toContain('launch a new server from a current image');
    const gone: NoticeResource = { ...eol, rule: 'warn-image-dependants', effect: 'image-deleted', at: '2026-06-30T00:00:00.000Z' };
    const warn = renderNotice({ stage: 'warn-30d', resources: [gone] }, ctx);
    expect(warn.subject).toBe('[Research Cloud] an image your server uses will be deleted on or after 2026-06-30');
    expect(warn.text).toContain('Take a snapshot of your server now');
  });
});
