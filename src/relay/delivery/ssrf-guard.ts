import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** One DNS answer. */
export interface ResolvedAddress {
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

/** Resolves a host name to every A/AAAA answer (injected in tests: never real DNS for hostile names). */
export type AddressResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** Options of the SSRF guard. */
export interface SsrfGuardOptions {
  /** Allow loopback and private ranges (RFC 1918, ULA, CGNAT), for local development and tests. Default false. Cloud metadata addresses stay refused. */
  readonly allowPrivateTargets?: boolean;
  /** The resolver. Default: `dns.lookup` with `all: true`. */
  readonly resolve?: AddressResolver;
}

/**
 * Why a target was refused: `invalid_url`, `scheme` (not https, or http without
 * `allowPrivateTargets`), `credentials` (user:password in the URL), `dns_failed`, `no_address`,
 * `metadata`, `loopback`, `private`, `carrier_grade_nat`, `unique_local`, `link_local`,
 * `multicast`, `unspecified`, `reserved` (any other non-public range, such as 6to4, NAT64 or
 * documentation prefixes, which can hide an internal IPv4 address).
 */
export type SsrfRefusalReason = string;

/**
 * A webhook target the SSRF guard refuses; nothing was sent to it. `reason` says why, the message
 * names the host and the refused address class, never the URL's query string.
 *
 * @example
 * try { await guardUrl('http://169.254.169.254/latest'); } catch (e) { if (e instanceof SsrfRefusedError) console.log(e.reason); } // 'metadata'
 */
export class SsrfRefusedError extends Error {
  /** Why it was refused. */
  readonly reason: SsrfRefusalReason;

  constructor(reason: SsrfRefusalReason, message: string) {
    super(message);
    this.name = 'SsrfRefusedError';
    this.reason = reason;
  }
}

/** A target that passed the guard: connect only to `address`. */
export interface CheckedTarget {
  readonly url: URL;
  /** The host name as written (for Host and TLS SNI), without IPv6 brackets. */
  readonly hostname: string;
  /** The checked address the connection must use. */
  readonly address: ResolvedAddress;
}

/** Cloud metadata endpoints: refused even with `allowPrivateTargets`. */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']);

/** Address classes `allowPrivateTargets` opens; every other non-unicast class stays closed. */
const PRIVATE_CLASSES = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);

const REASONS: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  carrierGradeNat: 'carrier_grade_nat',
  uniqueLocal: 'unique_local',
  linkLocal: 'link_local',
  multicast: 'multicast',
  unspecified: 'unspecified',
  broadcast: 'reserved',
};

/**
 * Classifies one address: `undefined` when a webhook may go there, else the refusal reason.
 * Deny by default: only ipaddr.js's `unicast` class passes (plus the private classes with
 * `allowPrivateTargets`); IPv4-mapped IPv6 is judged as the IPv4 address it carries.
 *
 * @example
 * refusalReasonOf('10.0.0.7', false); // 'private'
 * refusalReasonOf('::ffff:127.0.0.1', false); // 'loopback'
 * refusalReasonOf('93.184.216.34', false); // undefined
 */
export function refusalReasonOf(address: string, allowPrivateTargets: boolean): SsrfRefusalReason | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address.replace(/%.*$/, ''));
  } catch {
    return 'invalid_address';
  }
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  if (METADATA.has(parsed.toNormalizedString()) || METADATA.has(parsed.toString())) return 'metadata';
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  if (allowPrivateTargets && PRIVATE_CLASSES.has(range)) return undefined;
  return REASONS[range] ?? 'reserved';
}

/**
 * Checks a webhook URL and resolves its host: every A/AAAA answer must pass
 * {@link refusalReasonOf} (one bad answer refuses the whole name, so DNS round-robin cannot sneak
 * one in), and a DNS failure refuses too. Returns the address to pin the connection to. Called at
 * registration and again before every attempt.
 *
 * @example
 * const target = await checkTarget('https://hooks.example.com/dexcom?k=1');
 * target.address; // { address: '93.184.216.34', family: 4 }
 */
export async function checkTarget(url: string, options: SsrfGuardOptions = {}): Promise<CheckedTarget> {
  const allowPrivate = options.allowPrivateTargets === true;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SsrfRefusedError('invalid_url', 'the webhook URL is not a valid absolute URL, e.g. https://hooks.example.com/dexcom');
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && allowPrivate)) {
    throw new SsrfRefusedError('scheme', `webhook URLs must use https (got ${parsed.protocol.replace(':', '')}); http only with allowPrivateTargets`);
  }
  if (parsed.username !== '' || parsed.password !== '') throw new SsrfRefusedError('credentials', 'the webhook URL must not contain a user name or password');
  const hostname = parsed.hostname.replace(/^\[|\]$/g, '');
  let answers: readonly ResolvedAddress[];
  if (ipaddr.isValid(hostname)) answers = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
  else {
    try {
      answers = await (options.resolve ?? defaultResolve)(hostname);
    } catch {
      throw new SsrfRefusedError('dns_failed', `the webhook host ${hostname} did not resolve`);
    }
  }
  if (answers.length === 0) throw new SsrfRefusedError('no_address', `the webhook host ${hostname} has no address`);
  for (const answer of answers) {
    const reason = refusalReasonOf(answer.address, allowPrivate);
    if (reason !== undefined) throw new SsrfRefusedError(reason, `the webhook host ${hostname} resolves to a ${reason.replaceAll('_', ' ')} address, which the relay never calls`);
  }
  return { url: parsed, hostname, address: answers[0] as ResolvedAddress };
}

/**
 * The registration-time check the management API calls: resolves when `url` may receive webhooks,
 * throws {@link SsrfRefusedError} with a reason otherwise.
 *
 * @example
 * const guardUrl = createGuardUrl({ allowPrivateTargets: false });
 * await guardUrl('https://hooks.example.com/dexcom');
 */
export function createGuardUrl(options: SsrfGuardOptions = {}): (url: string) => Promise<void> {
  return async (url) => {
    await checkTarget(url, options);
  };
}

/**
 * {@link createGuardUrl} with the defaults: public https targets only, system DNS.
 *
 * @example
 * await guardUrl('https://hooks.example.com/dexcom');
 */
export const guardUrl: (url: string) => Promise<void> = createGuardUrl();

async function defaultResolve(hostname: string): Promise<readonly ResolvedAddress[]> {
  return dnsLookup(hostname, { all: true, verbatim: true });
}
