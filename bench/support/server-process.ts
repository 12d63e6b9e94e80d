/**
 * Benchmark servers run in a child process of their own, so the client under test has the event
 * loop (and on a 2-core machine, a core) to itself and its CPU time and RSS are its own.
 */
import { fork } from 'node:child_process';

/** A server started in a child process. */
export interface ServerProcess {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Stops the child and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Forks `script` (a server entry that calls {@link announceServer}) and resolves with its URL.
 * The child inherits this process's `execArgv`, so tsx's loader carries over.
 *
 * @example
 * const server = await startServerProcess(new URL('../servers/page-server.ts', import.meta.url), []);
 * await fetch(`${server.url}/v3/users/self/egvs`);
 * await server.stop();
 */
export async function startServerProcess(script: URL, args: readonly string[]): Promise<ServerProcess> {
  const child = fork(script, [...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { url: string }).url));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server ${script.pathname} exited early (code ${code})`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

/**
 * Child side: reports the server's URL to the parent and exits when the parent lets go.
 *
 * @example
 * announceServer(`http://127.0.0.1:${port}`, () => server.close());
 */
export function announceServer(url: string, close: () => void): void {
  if (!process.send) {
    console.log(`listening on ${url}`);
    return;
  }
  process.send({ url });
  process.on('disconnect', () => {
    close();
    process.exit(0);
  });
}
