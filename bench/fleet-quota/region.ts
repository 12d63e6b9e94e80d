/** Writes one benchmark's region of BENCHMARKS.md, leaving everything outside it as it is. */
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Replaces the text between `<!-- name:begin -->` and `<!-- name:end -->` in `file` with
 * `content`, or appends the region when the file has none yet.
 *
 * @example
 * writeRegion('BENCHMARKS.md', 'fleet-quota', '## Fleet quota\n...');
 */
export function writeRegion(file: string, name: string, content: string): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // A missing file gets the region alone.
  }
  const region = `${begin}\n${content.trim()}\n${end}`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  const next = from !== -1 && to > from ? text.slice(0, from) + region + text.slice(to + end.length) : `${text.trimEnd()}\n\n${region}\n`;
  writeFileSync(file, next);
}
