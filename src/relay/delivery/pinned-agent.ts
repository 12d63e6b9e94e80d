import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent } from 'undici';
import type { ResolvedAddress } from './ssrf-guard.js';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `connect.lookup` that answers every name with the one address the guard checked, so a DNS
 * answer that changes between the check and the connection (rebinding) is never used. Host and TLS
 * SNI still carry the original name.
 *
 * @example
 * const agent = new Agent({ connect: { lookup: pinnedLookup({ address: '93.184.216.34', family: 4 }) } });
 */
export function pinnedLookup(pinned: ResolvedAddress) {
  return (_hostname: string, options: LookupOptions | undefined, callback: LookupCallback): void => {
    // Node asks for every address (`all`) when it races families (autoSelectFamily).
    if (options?.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
}

/**
 * An undici Agent for one attempt: connections go only to `pinned`, one socket, no keep-alive
 * beyond the attempt (the next attempt is checked and pinned again).
 *
 * @example
 * const agent = pinnedAgent({ address: '127.0.0.1', family: 4 }, 15_000);
 * try { await request(url, { dispatcher: agent }); } finally { await agent.close(); }
 */
export function pinnedAgent(pinned: ResolvedAddress, timeoutMs: number): Agent {
  return new Agent({
    connect: { lookup: pinnedLookup(pinned) as never, timeout: timeoutMs },
    connections: 1,
    pipelining: 0,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}
