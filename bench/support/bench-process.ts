/**
 * Each benchmark runs in a fresh child process of the runner, so one benchmark's heap, JIT state,
 * sockets and peak RSS never leak into the next one's numbers.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Runs a benchmark entry script in a child process and resolves with the result it reports
 * through {@link emitResult}. The child inherits this process's `execArgv` (tsx's loader).
 *
 * @example
 * const result = await runBenchProcess<OverheadResult>(new URL('./overhead.ts', import.meta.url), ['--rounds', '7']);
 */
export function runBenchProcess<T>(script: URL, args: readonly string[] = []): Promise<T> {
  const child = fork(script, [...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<T>((resolve, reject) => {
    let result: { value: T } | undefined;
    child.on('message', (message) => {
      result = { value: (message as { result: T }).result };
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (result && code === 0) resolve(result.value);
      else reject(new Error(`${script.pathname} exited with code ${code}${result ? '' : ' before reporting a result'}`));
    });
  });
}

/**
 * Child side: hands the result to the runner, or prints the rendered section when the script was
 * started by hand (`npx tsx bench/overhead.ts`); `--json <file>` also writes the raw result there
 * (how `bench/baseline/` files are made).
 *
 * @example
 * emitResult(result, renderOverhead);
 */
export function emitResult<T>(result: T, render: (result: T) => string): void {
  const json = process.argv.indexOf('--json');
  if (json !== -1 && process.argv[json + 1]) writeFileSync(process.argv[json + 1]!, `${JSON.stringify(result, null, 2)}\n`);
  if (process.send) process.send({ result });
  else console.log(render(result));
}

/**
 * Returns a function that runs a full garbage collection and then waits `pauseMs` for V8's
 * background sweeping to finish, so garbage one contender left behind is not collected on (and
 * its CPU time not counted against) another's clock. Exposes `gc` at run time, so it works
 * without `--expose-gc` on the command line.
 *
 * @example
 * const settle = collectGarbage();
 * await settle();
 */
export function collectGarbage(pauseMs = 20): () => Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return async () => {
    gc();
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  };
}

/**
 * The value after `--name` on the command line, else `fallback`.
 *
 * @example
 * const rounds = numberOption('rounds', 7);
 */
export function numberOption(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}
