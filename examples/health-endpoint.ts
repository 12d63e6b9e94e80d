/**
 * A health endpoint and Prometheus metrics for a service that calls Dexcom.
 *
 *   DEXCOM_ACCESS_TOKEN=... npx tsx examples/health-endpoint.ts
 *   curl http://127.0.0.1:8080/health; curl http://127.0.0.1:8080/metrics
 *
 * `/health` answers 503 while the circuit breaker is open (Dexcom failing), `/metrics` serves
 * the SDK's metrics (bounded labels only: no user ids, no URLs). Needs prom-client installed.
 */
import { createServer } from 'node:http';
import { Registry } from 'prom-client';
import { DexcomApiClient } from 'dexcom-api-client';

const registry = new Registry();
const dexcom = new DexcomApiClient({
  environment: 'sandbox',
  accessToken: process.env.DEXCOM_ACCESS_TOKEN ?? '',
  metrics: { registry, clientName: 'api' },
});

const server = createServer(async (req, res) => {
  if (req.url === '/health') {
    const stats = await dexcom.stats();
    const healthy = stats.circuitBreaker?.state !== 'open';
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ healthy, dexcom: stats }));
  } else if (req.url === '/metrics') {
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(await registry.metrics());
  } else {
    res.writeHead(404).end();
  }
});
server.listen(8080, '127.0.0.1', () => console.log('http://127.0.0.1:8080/health and /metrics'));
