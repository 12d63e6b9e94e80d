/** What the OAuth callback page says. */
export type CallbackOutcome = 'connected' | 'bad_state' | 'refused_code' | 'incomplete' | 'unavailable';

const PAGES: Record<CallbackOutcome, { status: number; title: string; message: string }> = {
  connected: { status: 200, title: 'Connected', message: 'Your Dexcom account is connected. You can close this window.' },
  bad_state: { status: 400, title: 'Sign-in failed', message: 'This sign-in link is unknown, expired or already used. Start the connection again from the app.' },
  refused_code: { status: 400, title: 'Sign-in failed', message: 'Dexcom did not accept this sign-in. Start the connection again from the app.' },
  incomplete: { status: 400, title: 'Sign-in failed', message: 'The sign-in was cancelled or did not complete. Start the connection again from the app.' },
  unavailable: { status: 502, title: 'Sign-in failed', message: 'Dexcom could not be reached to finish the sign-in. Try again in a few minutes.' },
};

/**
 * The small HTML page the OAuth callback answers, and its status. Fixed texts only: nothing from
 * the request (code, state, user) is echoed.
 *
 * @example
 * const { status, html } = callbackPage('connected'); // 200
 */
export function callbackPage(outcome: CallbackOutcome): { status: number; html: string } {
  const page = PAGES[outcome];
  return {
    status: page.status,
    html: `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${page.title}</title><h1>${page.title}</h1><p>${page.message}</p></html>`,
  };
}

/**
 * Headers of the callback page: no caching, no referrer (its URL carries the code and state), no
 * scripts, no framing.
 *
 * @example
 * reply.headers(CALLBACK_PAGE_HEADERS);
 */
export const CALLBACK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
};
