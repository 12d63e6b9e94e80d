/**
 * A receiver for the relay's webhooks: verifies each delivery (Standard Webhooks signature and
 * timestamp), drops repeats by `webhook-id`, and prints what arrived.
 *
 *   WEBHOOK_SECRET=whsec_... npx tsx examples/webhook-receiver.ts     # listens on 127.0.0.1:8791
 *
 * WEBHOOK_SECRET is the `secret` the relay answered when the subscription was created (or rotated).
 * `verifyWebhook` needs the raw body: read the bytes, verify, and only then trust the parsed JSON.
 */
import { createServer } from 'node:http';
import type { types } from 'dexcom-api-client';
import { verifyWebhook, WebhookVerificationError } from 'dexcom-api-client/webhooks';

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error('Set WEBHOOK_SECRET to the subscription secret the relay returned (whsec_...).');
  process.exit(2);
}

type RelayEvent = types.RelayRecordsCreatedEvent | types.RelayRecordsUpdatedEvent | types.RelayRecordsDeletedEvent;

// Deliveries are at least once, and a retry keeps its webhook-id: remember the ids seen.
// A real receiver keeps them in its database, in the transaction that stores the records.
const seen = new Set<string>();

createServer(async (req, res) => {
  if (req.method !== 'POST') return void res.writeHead(405).end();
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  let event: RelayEvent;
  try {
    event = verifyWebhook<RelayEvent>(raw, req.headers, secret); // also rejects a timestamp over 5 minutes off
  } catch (error) {
    if (error instanceof WebhookVerificationError) {
      console.warn(`refused a delivery: ${error.reason}`);
      return void res.writeHead(400).end();
    }
    throw error;
  }
  const id = String(req.headers['webhook-id']);
  res.writeHead(204).end(); // any 2xx is success; answer fast, within the relay's 15 s
  if (seen.has(id)) return;
  seen.add(id);
  const { userKey, recordType, records } = event.data;
  console.log(`${event.type} ${userKey} ${recordType}: ${records.length} record(s), found ${event.timestamp} [${id}]`);
}).listen(8791, '127.0.0.1', () => console.log('Receiving webhooks on http://127.0.0.1:8791/'));
