import { createClient, type UserConfig } from '@hey-api/openapi-ts';
import config from '../../openapi-ts.config.ts';

/**
 * The jobs of openapi-ts.config.ts, in order.
 *
 * @example
 * const [dexcom, relay] = await openapiTsJobs();
 */
export async function openapiTsJobs(): Promise<readonly UserConfig[]> {
  const jobs: unknown = await config;
  return Array.isArray(jobs) ? (jobs as UserConfig[]) : [jobs as UserConfig];
}

/**
 * Runs one openapi-ts job exactly as given. (`createClient(job)` alone would also load
 * openapi-ts.config.ts and merge `job` into each of its jobs; naming a config file that does not
 * exist turns that off.)
 *
 * @example
 * await runOpenapiTsJob({ ...job, output: { ...job.output, path: scratch } });
 */
export async function runOpenapiTsJob(job: UserConfig): Promise<void> {
  await createClient({ ...job, configFile: 'openapi-ts.no-config-file.ts' } as UserConfig);
}
