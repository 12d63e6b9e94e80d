import { describe, expect, it } from 'vitest';
import { sendAttempt } from '../../src/relay/delivery/send-attempt.js';
import { checkTarget, refusalReasonOf, SsrfRefusedError, type AddressResolver } from '../../src/relay/delivery/ssrf-guard.js';
import { startReceiver } from './engine-support.js';

/** Fake DNS: never a real lookup, so no test traffic can leave loopback. */
const dns = (answers: Record<string, string[]>): AddressResolver => async (hostname) => {
  const list = answers[hostname];
  if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

async function reasonOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof SsrfRefusedError) return error.reason;
    throw error;
  }
}

describe('SSRF guard: address classes', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier_grade_nat'], ['100.127.255.254', 'carrier_grade_nat'],
    ['169.254.1.1', 'link_local'], ['fe80::1', 'link_local'], ['fe80::1%eth0', 'link_local'],
    ['169.254.169.254', 'metadata'], ['fd00:ec2::254', 'metadata'], ['169.254.170.2', 'metadata'], ['100.100.100.200', 'metadata'],
    ['fc00::1', 'unique_local'], ['fd12:3456::1', 'unique_local'],
    ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'], ['255.255.255.255', 'reserved'], ['240.0.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:10.0.0.1', 'private'], ['::ffff:169.254.169.254', 'metadata'], ['::ffff:7f00:1', 'loopback'],
    ['2002:7f00:1::', 'reserved'], ['64:ff9b::a00:1', 'reserved'], ['2001:db8::1', 'reserved'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(refusalReasonOf(address, false)).toBe(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34'])('allows the public address %s', (address) => {
    expect(refusalReasonOf(address, false)).toBeUndefined();
  });

  it('allowPrivateTargets opens loopback and private ranges, never metadata, link-local or multicast', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.0.10', 'fd12::1', '100.64.1.1']) expect(refusalReasonOf(address, true)).toBeUndefined();
    for (const [address, reason] of [['169.254.169.254', 'metadata'], ['::ffff:169.254.169.254', 'metadata'], ['fd00:ec2::254', 'metadata'], ['169.254.10.10', 'link_local'], ['224.0.0.1', 'multicast'], ['0.0.0.0', 'unspecified']]) {
      expect(refusalReasonOf(address!, true)).toBe(reason);
    }
  });
});

describe('SSRF guard: URLs and DNS answers', () => {
  const resolve = dns({
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
    'mixed.example.com': ['93.184.216.34', '10.0.0.8'],
    'v6-mapped.example.com': ['::ffff:192.168.0.1'],
    'metadata.example.com': ['169.254.169.254'],
    'empty.example.com': [],
    'localhost': ['127.0.0.1', '::1'],
  });

  it('passes a public name and returns the address to pin', async () => {
    const target = await checkTarget('https://hooks.example.com/x?token=1', { resolve });
    expect(target.address).toEqual({ address: '93.184.216.34', family: 4 });
    expect(target.hostname).toBe('hooks.example.com');
  });

  it.each([
    ['https://mixed.example.com/', 'private'],
    ['https://v6-mapped.example.com/', 'private'],
    ['https://metadata.example.com/latest/meta-data', 'metadata'],
    ['https://localhost/', 'loopback'],
    ['https://unknown.example.com/', 'dns_failed'],
    ['https://empty.example.com/', 'no_address'],
    ['https://127.0.0.1/', 'loopback'],
    ['https://[::1]/', 'loopback'],
    ['https://[::ffff:a9fe:a9fe]/', 'metadata'],
    ['https://169.254.169.254/', 'metadata'],
    ['http://hooks.example.com/', 'scheme'],
    ['ftp://hooks.example.com/', 'scheme'],
    ['https://user:pass@hooks.example.com/', 'credentials'],
    ['not a url', 'invalid_url'],
  ])('refuses %s (%s)', async (url, reason) => {
    expect(await reasonOf(checkTarget(url, { resolve }))).toBe(reason);
  });

  it('with allowPrivateTargets, accepts http on loopback but still refuses metadata', async () => {
    expect(await reasonOf(checkTarget('http://localhost:8080/', { resolve, allowPrivateTargets: true }))).toBeUndefined();
    expect(await reasonOf(checkTarget('http://metadata.example.com/', { resolve, allowPrivateTargets: true }))).toBe('metadata');
    expect(await reasonOf(checkTarget('http://169.254.169.254/', { resolve, allowPrivateTargets: true }))).toBe('metadata');
  });

  it('an attempt to a refused target sends nothing and says why', async () => {
    const outcome = await sendAttempt(
      { url: 'https://mixed.example.com/hook', eventId: 'evt_1', body: '{}', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], now: new Date() },
      { resolve },
    );
    expect(outcome).toMatchObject({ ok: false, refused: true, status: null, error: 'ssrf_refused:private' });
  });

  it('pins the connection to the checked address: the name is never resolved again', async () => {
    const receiver = await startReceiver();
    try {
      const port = new URL(receiver.url).port;
      // `.invalid` never resolves in real DNS: the request can only arrive if the pinned address is used.
      const pinnedResolve = dns({ 'hooks.pinned.invalid': ['127.0.0.1'] });
      const outcome = await sendAttempt(
        { url: `http://hooks.pinned.invalid:${port}/hooks`, eventId: 'evt_2', body: '{"a":1}', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], now: new Date() },
        { resolve: pinnedResolve, allowPrivateTargets: true },
      );
      expect(outcome).toMatchObject({ ok: true, status: 204, error: null });
      expect(receiver.received[0]?.headers.host).toBe(`hooks.pinned.invalid:${port}`);
    } finally {
      await receiver.close();
    }
  });

  it('never follows a redirect', async () => {
    const receiver = await startReceiver(() => ({ status: 307, headers: { location: 'http://127.0.0.1:9/elsewhere' } }));
    try {
      const outcome = await sendAttempt(
        { url: receiver.url, eventId: 'evt_3', body: '{}', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], now: new Date() },
        { allowPrivateTargets: true },
      );
      expect(outcome).toMatchObject({ ok: false, status: 307, error: 'http_307' });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});
