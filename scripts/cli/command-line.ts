/**
 * Small, strict command lines for the repository's scripts (`npm start`, `npm run mock`, ...):
 * an unknown flag, a missing value or a bad number is answered with one line saying what is
 * wrong, the usage, and exit code 2, never a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad input on the command line: printed as one line plus the usage, exit code 2. */
export class UsageError extends Error {}

/** A failure the command explains in one line (exit code 1), such as a port in use. */
export class CommandError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The typed flag values of {@link parseCommandLine}. */
export type ParsedValues<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];

/**
 * Parses `argv` strictly (no positionals), turning node's parse errors into a {@link UsageError}
 * that names the flag.
 *
 * @example
 * const values = parseCommandLine(process.argv.slice(2), { port: { type: 'string' } });
 */
export function parseCommandLine<O extends Options>(argv: readonly string[], options: O): ParsedValues<O> {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // node's messages are good ("Unknown option '--bogus'"), but carry a long tail of advice.
    const message = (error as Error).message.split('. ')[0]!.replace(/\.$/, '');
    throw new UsageError(message);
  }
}

/**
 * Reads an integer flag within [min, max], or throws a {@link UsageError} naming the flag.
 *
 * @example
 * const port = integerFlag('--port', values.port, { min: 0, max: 65535, fallback: 4010 });
 */
export function integerFlag(name: string, raw: string | undefined, range: { min: number; max: number; fallback: number }): number {
  if (raw === undefined) return range.fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new UsageError(`${name} must be a whole number from ${range.min} to ${range.max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/**
 * Runs a command's `main`, mapping its failures to exit codes: {@link UsageError} -> one line,
 * the usage, exit 2; {@link CommandError} -> one line, exit 1; anything else -> its message
 * only (no stack), exit 1. Sets `process.exitCode` rather than exiting, so open handles close.
 *
 * @example
 * await runCommand(USAGE, () => main(process.argv.slice(2)));
 */
export async function runCommand(usage: string, main: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await main()) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${usage}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  }
}
