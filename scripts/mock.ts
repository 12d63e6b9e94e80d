/**
 * `npm run mock`: serves the Prism mock of spec/dexcom.openapi.yaml on 127.0.0.1 until Ctrl-C,
 * for trying the SDK or the API by hand, with one readable line per request on stdout.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { startPrismMock } from '../src/testing/prism-mock.ts';
import { CommandError, integerFlag, parseCommandLine, runCommand } from './cli/command-line.ts';

const USAGE = `Usage: npm run mock [-- options]

Serves a mock of the Dexcom API built from spec/dexcom.openapi.yaml (Prism) on 127.0.0.1.

  --port N      port to listen on (default 4010; 0 picks a free one)
  --dynamic     random schema-valid data instead of the spec's examples
  --help, -h    this text`;

async function main(argv: readonly string[]): Promise<number> {
  const values = parseCommandLine(argv, {
    port: { type: 'string' },
    dynamic: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = integerFlag('--port', values.port, { min: 0, max: 65535, fallback: 4010 });

  // Prism listens on a private port; a small proxy in front prints one line per request
  // (Prism's own log is several JSON lines per request).
  const prism = await startPrismMock({ dynamic: values.dynamic ?? false });
  const upstream = new URL(prism.url);
  const server = createServer((req, res) => {
    const started = performance.now();
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => logLine(req.method, req.url, answer.statusCode, started));
      },
    );
    forward.on('error', () => {
      res.writeHead(502).end();
      logLine(req.method, req.url, 502, started);
    });
    req.pipe(forward);
  });
  try {
    await listen(server, port);
  } catch (error) {
    await prism.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CommandError(`port ${port} is in use: pick another with --port N (0 picks a free one)`);
    throw error;
  }
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  console.log(`Prism mock of spec/dexcom.openapi.yaml at ${url} (Ctrl-C to stop)`);
  console.log(`Try: curl -H 'Authorization: Bearer x' '${url}/v3/users/self/devices'`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await prism.close();
  return 0;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function logLine(method: string | undefined, url: string | undefined, status: number | undefined, started: number): void {
  // The path only: query values (dates, sync times) are not worth a line of their own.
  const path = (url ?? '').split('?')[0];
  const time = new Date().toISOString().slice(11, 19);
  console.log(`${time} ${method} ${path} -> ${status} (${Math.round(performance.now() - started)} ms)`);
}

await runCommand(USAGE, () => main(process.argv.slice(2)));
