/**
 * Many users: sign each one in with OAuth, then sync every connected user's records into
 * PostgreSQL every five minutes. Tokens and sync checkpoints live in the same database, so any
 * number of these processes can run side by side (one refresh per user at a time, fleet-wide).
 *
 *   DATABASE_URL=postgres://127.0.0.1:5432/app DEXCOM_CLIENT_ID=... DEXCOM_CLIENT_SECRET=... \
 *     npx tsx examples/many-users-sync.ts
 *   open http://127.0.0.1:8080/connect?user=patient-42   (register http://127.0.0.1:8080/callback first)
 *
 * Needs `pg` installed (an optional peer of dexcom-api-client). Without DATABASE_URL it keeps
 * everything in an embedded PGlite database in ./.dexcom-data (`@electric-sql/pglite` installed).
 */
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { type AnySyncBatch, DexcomApiClient, type DexcomEnvironment, isDexcomError } from 'dexcom-api-client';
import { openDatabase, PostgresCheckpointStore, PostgresTokenStore } from 'dexcom-api-client/postgres';

const clientId = process.env.DEXCOM_CLIENT_ID;
const clientSecret = process.env.DEXCOM_CLIENT_SECRET;
if (!clientId || !clientSecret) {
  console.error('Set DEXCOM_CLIENT_ID and DEXCOM_CLIENT_SECRET (your app at developer.dexcom.com).');
  process.exit(2);
}

// One database for the app's records, the tokens and the checkpoints; the stores create their tables.
const db = await openDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { dataDir: './.dexcom-data' });
await db.exec(`CREATE TABLE IF NOT EXISTS dexcom_records (
  user_key text NOT NULL, type text NOT NULL, record_id text NOT NULL,
  system_time text NOT NULL, record jsonb NOT NULL,
  PRIMARY KEY (user_key, type, record_id));
CREATE TABLE IF NOT EXISTS dexcom_users (user_key text PRIMARY KEY, connected_at timestamptz NOT NULL DEFAULT now())`);
const tokenStore = new PostgresTokenStore({ database: db });
const checkpointStore = new PostgresCheckpointStore({ database: db });

const dexcom = new DexcomApiClient({
  environment: (process.env.DEXCOM_ENVIRONMENT ?? 'sandbox') as DexcomEnvironment,
  oauth: { clientId, clientSecret, redirectUri: 'http://127.0.0.1:8080/callback', tokenStore },
  // The whole app's quota (60,000 calls per hour), shared by all users of this process.
  rateLimit: { capacity: 100, refillPerInterval: 60_000, intervalMs: 3_600_000 },
});

/** Writes one window's changes; resolving tells sync it may move the checkpoint past it. */
async function store(userKey: string, batch: AnySyncBatch): Promise<void> {
  await db.transaction(async (tx) => {
    for (const record of batch.upserts) {
      await tx.query(
        `INSERT INTO dexcom_records (user_key, type, record_id, system_time, record) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_key, type, record_id) DO UPDATE SET system_time = excluded.system_time, record = excluded.record`,
        [userKey, batch.type, record.recordId, record.systemTime, JSON.stringify(record)],
      );
    }
    for (const record of batch.deletions) {
      await tx.query('DELETE FROM dexcom_records WHERE user_key = $1 AND type = $2 AND record_id = $3', [userKey, batch.type, record.recordId]);
    }
  });
}

async function syncEveryone(): Promise<void> {
  const { rows } = await db.query<{ user_key: string }>('SELECT user_key FROM dexcom_users ORDER BY user_key');
  for (const { user_key: userKey } of rows) {
    try {
      const report = await dexcom.forUser(userKey).sync({ checkpointStore, handler: (batch) => store(userKey, batch) });
      console.log(userKey, report.types.map((t) => `${t.type} +${t.upserts} -${t.deletions}`).join(', '));
    } catch (error) {
      if (isDexcomError(error) && error.code === 'reauthorization_required') console.log(`${userKey} must connect again (${error.reason})`);
      else console.error(userKey, isDexcomError(error) ? `${error.code}: ${error.message}` : error);
    }
  }
}

// Sign-in: /connect sends the browser to Dexcom, /callback checks `state` and saves the tokens.
const pending = new Map<string, string>(); // state -> user; a real app keeps it in the user's session
createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1:8080');
  if (url.pathname === '/connect') {
    const { url: signIn, state } = dexcom.oauth.authorizationUrl();
    pending.set(state, url.searchParams.get('user') ?? randomUUID());
    res.writeHead(302, { location: signIn }).end();
  } else if (url.pathname === '/callback') {
    const userKey = pending.get(url.searchParams.get('state') ?? '');
    const code = url.searchParams.get('code');
    if (!userKey || !code) return void res.writeHead(400).end('Unknown sign-in; start again at /connect');
    pending.delete(url.searchParams.get('state')!);
    await dexcom.oauth.exchangeCode({ userKey, code }); // saves the tokens in tokenStore
    await db.query('INSERT INTO dexcom_users (user_key) VALUES ($1) ON CONFLICT DO NOTHING', [userKey]);
    res.end(`Connected ${userKey}; the next sync reads their data.`);
  } else res.writeHead(404).end();
}).listen(8080, '127.0.0.1', () => console.log('Sign users in at http://127.0.0.1:8080/connect?user=<your id>'));

await syncEveryone();
setInterval(() => void syncEveryone(), 5 * 60_000);
