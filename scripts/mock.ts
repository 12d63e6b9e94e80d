/**
 * `npm run mock`: serves the Prism mock of spec/dexcom.openapi.yaml on 127.0.0.1 (port 4010, or
 * --port N) until Ctrl-C, for trying the SDK or the API by hand.
 */
import { parseArgs } from 'node:util';
import { startPrismMock } from './prism-server.ts';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4010' }, dynamic: { type: 'boolean', default: false } } });
const prism = await startPrismMock({ port: Number(values.port), dynamic: values.dynamic, logLevel: 'info' });
console.log(`Prism mock of spec/dexcom.openapi.yaml at ${prism.url} (Ctrl-C to stop)`);
console.log(`Try: curl -H 'Authorization: Bearer x' '${prism.url}/v3/users/self/devices'`);
const stop = async () => {
  await prism.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
