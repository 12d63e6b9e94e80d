import { DexcomApiClient, type DexcomApiClientOptions } from '../../src/index.js';

/** An answer from the scripted wire: a response, or an error the fetch throws. */
export type WireAnswer = Response | Error | ((request: Request) => Response | Promise<Response>);

/** A JSON response as Dexcom would send it. */
export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A v3 devices envelope. */
export const devicesBody = { recordType: 'device', recordVersion: '3.0', userId: 'user-1', records: [] };

/**
 * A DexcomApiClient whose wire is a script: each request is recorded and answered by the next
 * answer (the last one repeats). No socket is opened.
 *
 * @example
 * const { dexcom, requests } = scriptedClient([json(devicesBody)]);
 */
export function scriptedClient(answers: WireAnswer[], options: Partial<DexcomApiClientOptions> = {}) {
  const requests: Request[] = [];
  let index = 0;
  const dexcom = new DexcomApiClient({
    baseUrl: 'http://127.0.0.1:9',
    accessToken: 'token-1',
    retry: { initialDelayMs: 1, maxDelayMs: 5, jitter: false },
    ...options,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      requests.push(request);
      const answer = answers[Math.min(index++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      const response = answer instanceof Response ? answer.clone() : await answer(request);
      return response;
    },
  });
  return { dexcom, requests };
}
