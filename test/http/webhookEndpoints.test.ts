import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const EVENTS = ['task.completed', 'task.failed', 'task.canceled', 'task.refunded'];
const ENDPOINTS = '/api/admin/webhook-endpoints';
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

describe('/api/admin/webhook-endpoints', () => {
  let h: Harness;
  let admin: string;
  let user: string;

  beforeAll(async () => {
    h = await startHarness();
    admin = (await h.user(0, 'admin')).apiKey;
    user = (await h.user(10)).apiKey;
  });
  afterAll(() => h.close());

  /** Every endpoint row, secrets included: equal snapshots mean nothing changed. */
  const snapshot = async () => (await h.system.db.query('SELECT id, url, events, secret, created_at FROM webhook_endpoints ORDER BY id')).rows;

  it('registers any http(s) URL, loopback included, with all events by default; the secret is shown once', async () => {
    const loopback = await h.api(admin, 'POST', ENDPOINTS, { url: 'http://127.0.0.1:9/hooks' });
    expect(loopback.status).toBe(201);
    expect(loopback.body).toEqual({ id: expect.any(String), url: 'http://127.0.0.1:9/hooks', events: EVENTS, secret: expect.stringMatching(SECRET), createdAt: expect.any(String) });
    const some = await h.api(admin, 'POST', ENDPOINTS, { url: 'https://app.example.com/api/settle?token=abc', events: ['task.failed', 'task.completed', 'task.failed'] });
    expect(some.status).toBe(201);
    expect(some.body.events).toEqual(['task.failed', 'task.completed']);
    expect(some.body.secret).not.toBe(loopback.body.secret);

    const list = await h.api(admin, 'GET', ENDPOINTS);
    expect(list.status).toBe(200);
    const listed = list.body.endpoints.filter((e: { id: string }) => [loopback.body.id, some.body.id].includes(e.id));
    expect(listed).toEqual([
      { id: some.body.id, url: some.body.url, events: some.body.events, createdAt: some.body.createdAt },
      { id: loopback.body.id, url: loopback.body.url, events: EVENTS, createdAt: loopback.body.createdAt },
    ]);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');

    const removed = await h.api(admin, 'DELETE', `${ENDPOINTS}/${some.body.id}`);
    expect(removed).toMatchObject({ status: 200, body: { endpoint: { id: some.body.id, url: some.body.url } } });
    expect(JSON.stringify(removed.body)).not.toContain('whsec_');
    expect((await h.api(admin, 'GET', ENDPOINTS)).body.endpoints.map((e: { id: string }) => e.id)).not.toContain(some.body.id);
    expect((await h.api(admin, 'DELETE', `${ENDPOINTS}/${some.body.id}`)).status).toBe(404);
  });

  it('lists newest first a page at a time: every endpoint once, nextCursor null on the last page', async () => {
    for (let i = 0; i < 5; i++) await h.api(admin, 'POST', ENDPOINTS, { url: `https://paged.example.com/${i}` });
    const ids = (await h.system.db.query<{ id: string }>('SELECT id FROM webhook_endpoints ORDER BY created_at DESC, id DESC')).rows.map((r) => r.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.api(admin, 'GET', `${ENDPOINTS}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.endpoints.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.endpoints.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  const url = 'https://app.example.com/hooks';
  const cases: { name: string; method?: 'POST' | 'GET' | 'DELETE'; path?: string; body?: unknown; key?: 'user' | 'none'; status: number; code: string; message?: RegExp }[] = [
    { name: 'no body', status: 400, code: 'invalid_request', message: /^body\.url: / },
    { name: 'no url', body: { events: ['task.failed'] }, status: 400, code: 'invalid_request', message: /^body\.url: / },
    { name: 'an ftp URL', body: { url: 'ftp://example.com/x' }, status: 400, code: 'invalid_request', message: /^body\.url: expected an http or https URL$/ },
    { name: 'a javascript: URL', body: { url: 'javascript:alert(1)' }, status: 400, code: 'invalid_request', message: /^body\.url: expected an http or https URL$/ },
    { name: 'not a URL', body: { url: 'my app' }, status: 400, code: 'invalid_request', message: /^body\.url: / },
    { name: 'a URL of 3000 characters', body: { url: `${url}/${'a'.repeat(3000)}` }, status: 400, code: 'invalid_request', message: /^body\.url: / },
    { name: 'url is a number', body: { url: 42 }, status: 400, code: 'invalid_request' },
    { name: 'no events', body: { url, events: [] }, status: 400, code: 'invalid_request', message: /^body\.events: / },
    { name: 'an unknown event', body: { url, events: ['task.created'] }, status: 400, code: 'invalid_request', message: /^body\.events\.0: / },
    { name: 'events as a string', body: { url, events: 'task.failed' }, status: 400, code: 'invalid_request', message: /^body\.events: / },
    { name: 'an unknown field', body: { url, secret: 'whsec_mine' }, status: 400, code: 'invalid_request' },
    { name: 'a JSON array', body: [{ url }], status: 400, code: 'invalid_request' },
    { name: 'malformed JSON', body: '{"url": ', status: 400, code: 'invalid_request' },
    { name: 'a user key', body: { url }, key: 'user', status: 403, code: 'forbidden' },
    { name: 'no key', body: { url }, key: 'none', status: 401, code: 'unauthorized' },
    { name: 'a user key listing', method: 'GET', key: 'user', status: 403, code: 'forbidden' },
    { name: 'a cursor of another list', method: 'GET', path: `${ENDPOINTS}?cursor=${Buffer.from('{"at":"x"}').toString('base64url')}`, status: 400, code: 'invalid_request', message: /^query\.cursor: / },
    { name: 'a limit of 0', method: 'GET', path: `${ENDPOINTS}?limit=0`, status: 400, code: 'invalid_request', message: /^query\.limit: / },
    { name: 'an unknown query field', method: 'GET', path: `${ENDPOINTS}?order=asc`, status: 400, code: 'invalid_request' },
    { name: 'removing a malformed id', method: 'DELETE', path: `${ENDPOINTS}/not-an-id`, status: 404, code: 'not_found', message: /^params\.id: / },
    { name: 'removing an unknown id', method: 'DELETE', path: `${ENDPOINTS}/00000000-0000-4000-8000-000000000000`, status: 404, code: 'not_found' },
    { name: 'a user key removing', method: 'DELETE', path: `${ENDPOINTS}/00000000-0000-4000-8000-000000000000`, key: 'user', status: 403, code: 'forbidden' },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code}, nothing changed`, async () => {
      await h.api(admin, 'POST', ENDPOINTS, { url: 'https://kept.example.com/hooks' });
      const before = await snapshot();
      const key = c.key === 'user' ? user : c.key === 'none' ? undefined : admin;
      const res = await h.api(key, c.method ?? 'POST', c.path ?? ENDPOINTS, c.body);
      expect(res.status).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(res.body.error.message).toMatch(c.message ?? /./);
      expect(await snapshot()).toEqual(before);
    });
  }
});

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('settle webhooks add|list|remove', () => {
  let h: Harness;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness();
    env = { DATABASE_URL: h.database.url! };
  });
  afterAll(() => h.close());

  const rows = async () => (await h.system.db.query('SELECT id, url, events, secret FROM webhook_endpoints ORDER BY id')).rows;

  it('adds, lists and removes endpoints, each with --json; the API sees the same endpoints', async () => {
    const added = await runCli(['webhooks', 'add', '--url', 'http://localhost:4000/hooks', '--events', 'task.completed, task.refunded', '--json'], env);
    expect(added.code, added.stderr).toBe(0);
    const endpoint = JSON.parse(added.stdout);
    expect(endpoint).toEqual({ id: expect.any(String), url: 'http://localhost:4000/hooks', events: ['task.completed', 'task.refunded'], createdAt: expect.any(String), secret: expect.stringMatching(SECRET) });
    const text = await runCli(['webhooks', 'add', '--url', 'https://app.example.com/settle'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Added webhook endpoint [0-9a-f-]{36} for task\.completed, task\.failed, task\.canceled, task\.refunded to https:\/\/app\.example\.com\/settle\.\nSigning secret \(shown once\): whsec_/);

    const listed = await runCli(['webhooks', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).endpoints).toContainEqual({ id: endpoint.id, url: endpoint.url, events: endpoint.events, createdAt: endpoint.createdAt });
    expect(listed.stdout).not.toContain('whsec_');
    const table = await runCli(['webhooks', 'list'], env);
    expect(table.stdout).toContain(endpoint.id);
    expect(table.stdout).not.toContain('whsec_');
    // Newest first, a page at a time: the text names the next page's command, which prints the older endpoint.
    const first = await runCli(['webhooks', 'list', '--limit', '1'], env);
    expect(first.stdout).not.toContain(endpoint.id);
    const more = /^More: settle webhooks list --cursor (\S+)$/m.exec(first.stdout);
    expect(more, first.stdout).not.toBeNull();
    const second = await runCli(['webhooks', 'list', '--limit', '1', '--cursor', more![1]!, '--json'], env);
    expect(JSON.parse(second.stdout).endpoints.map((e: { id: string }) => e.id)).toEqual([endpoint.id]);
    const admin = (await h.user(0, 'admin')).apiKey;
    expect((await h.api(admin, 'GET', ENDPOINTS)).body.endpoints.map((e: { id: string }) => e.id)).toContain(endpoint.id);

    const removed = await runCli(['webhooks', 'remove', endpoint.id, '--json'], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ id: endpoint.id, url: endpoint.url });
    expect((await rows()).map((r) => r.id)).not.toContain(endpoint.id);
  });

  const refusals: { name: string; args: string[]; code: number; stderr: RegExp }[] = [
    { name: 'an ftp URL', args: ['add', '--url', 'ftp://example.com'], code: 2, stderr: /^settle: --url must be an http or https URL, got "ftp:\/\/example\.com"\n$/ },
    { name: 'an unknown event', args: ['add', '--url', 'https://a.example.com', '--events', 'task.done'], code: 2, stderr: /^settle: --events must be a comma-separated list of task\.completed, task\.failed, task\.canceled, task\.refunded, got "task\.done"\n$/ },
    { name: 'no --url', args: ['add'], code: 2, stderr: /required option '--url <url>' not specified/ },
    { name: 'a malformed id', args: ['remove', 'abc'], code: 2, stderr: /^settle: the endpoint id must be a UUID/ },
    { name: 'a bad cursor', args: ['list', '--cursor', 'abc'], code: 2, stderr: /^settle: --cursor must be a cursor printed by "settle webhooks list", got "abc"\n$/ },
    { name: 'an unknown id', args: ['remove', '00000000-0000-4000-8000-000000000000'], code: 1, stderr: /^settle: No webhook endpoint 00000000-0000-4000-8000-000000000000\n$/ },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name} with one line, changing nothing`, async () => {
      await runCli(['webhooks', 'add', '--url', 'https://kept.example.com'], env);
      const before = await rows();
      const res = await runCli(['webhooks', ...r.args], env);
      expect(res.code).toBe(r.code);
      expect(res.stderr).toMatch(r.stderr);
      expect(res.stdout).toBe('');
      expect(await rows()).toEqual(before);
    });
  }
});
