import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { CreatedUser } from '../../src/users/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startInstance, type Instance } from '../helpers/instances.js';

const VIDEO = { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a fox' } };
const SPOOF = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'proxy.example' };

/** What the forwarded headers change, seen from outside: the submission budget, the cookie and the origin check. */
function proxyBehaviour(base: () => string, user: () => CreatedUser) {
  const anonymousSubmit = (forwardedFor: string) =>
    fetch(`${base()}/api/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: JSON.stringify(VIDEO) });
  const signIn = (headers: Record<string, string>) =>
    fetch(`${base()}/playground/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ apiKey: user().apiKey }).toString(),
      redirect: 'manual',
    });
  return {
    /** Statuses of three anonymous submissions, each claiming another client address (budget: 2 a minute). */
    spoofedAddresses: async () => [await anonymousSubmit('203.0.113.1'), await anonymousSubmit('203.0.113.2'), await anonymousSubmit('203.0.113.3')].map((r) => r.status),
    sameAddress: async () => [await anonymousSubmit('203.0.113.9'), await anonymousSubmit('203.0.113.9'), await anonymousSubmit('203.0.113.9')].map((r) => r.status),
    signInCookie: async (headers: Record<string, string>) => (await signIn(headers)).headers.get('set-cookie') ?? '',
    signInStatus: async (headers: Record<string, string>) => (await signIn(headers)).status,
  };
}

describe('TRUST_PROXY unset: nothing sits in front, so X-Forwarded-* from a client is ignored', () => {
  let h: Harness;
  let user: CreatedUser;
  let elsewhere: Instance;
  beforeAll(async () => {
    h = await startHarness({ env: { SUBMIT_RATE_LIMIT_PER_MINUTE: '2' } });
    user = await h.user(100);
    elsewhere = await startInstance(h, { SUBMIT_RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '10.0.0.0/8, 192.0.2.7' });
  });
  afterAll(async () => {
    await elsewhere?.close();
    await h?.close();
  });
  const probe = proxyBehaviour(() => h.url, () => user);

  it('a spoofed X-Forwarded-For does not give a client a fresh submission budget', async () => {
    expect(await probe.spoofedAddresses()).toEqual([401, 401, 429]);
  });

  it('a spoofed X-Forwarded-Proto does not mark the cookie Secure; a spoofed X-Forwarded-Host does not pass the origin check', async () => {
    const cookie = await probe.signInCookie(SPOOF);
    expect(cookie).toMatch(/^settle_playground=/);
    expect(cookie).not.toMatch(/;\s*Secure/i);
    expect(await probe.signInStatus({ ...SPOOF, origin: 'https://proxy.example' })).toBe(403);
  });

  it('with other proxies listed, a client that is not one of them is not believed either', async () => {
    const other = proxyBehaviour(() => elsewhere.url, () => user);
    expect(await other.spoofedAddresses()).toEqual([401, 401, 429]);
    expect(await other.signInCookie(SPOOF)).not.toMatch(/;\s*Secure/i);
    expect(await other.signInStatus({ ...SPOOF, origin: 'https://proxy.example' })).toBe(403);
  });
});

describe('TRUST_PROXY naming the proxy: its X-Forwarded-* are believed', () => {
  let h: Harness;
  let user: CreatedUser;
  beforeAll(async () => {
    // The test client connects from 127.0.0.1: it plays the proxy.
    h = await startHarness({ env: { SUBMIT_RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '127.0.0.1' } });
    user = await h.user(100);
  });
  afterAll(() => h?.close());
  const probe = proxyBehaviour(() => h.url, () => user);

  it('the forwarded client address is the client: each has its own budget', async () => {
    expect(await probe.spoofedAddresses()).toEqual([401, 401, 401]);
    expect(await probe.sameAddress()).toEqual([401, 401, 429]);
  });

  it('https at the proxy makes the cookie Secure, and the forwarded host is this site', async () => {
    expect(await probe.signInCookie(SPOOF)).toMatch(/;\s*Secure/i);
    expect(await probe.signInStatus({ ...SPOOF, origin: 'https://proxy.example' })).toBe(303);
    expect(await probe.signInStatus({ ...SPOOF, origin: 'https://evil.example' })).toBe(403);
  });
});

describe('TRUST_PROXY values', () => {
  const parse = (value: string) => loadConfig({ TRUST_PROXY: value }).trustProxy;
  it('takes false, true and addresses or CIDRs; refuses a hop count and anything else with one line', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(parse('off')).toBe(false);
    expect(parse('true')).toBe(true);
    expect(parse('10.0.0.0/8, 192.168.1.1,::1, fd00::/8,loopback')).toEqual(['10.0.0.0/8', '192.168.1.1', '::1', 'fd00::/8', 'loopback']);
    for (const bad of ['2', 'proxy.example', '10.0.0.0/33', '300.1.1.1', '10.0.0.1/8/1', ',']) {
      expect(() => parse(bad), bad).toThrow(/^Invalid configuration: TRUST_PROXY: /);
    }
  });
});
