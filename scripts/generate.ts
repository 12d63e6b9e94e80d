/**
 * `npm run generate`: runs the openapi-ts jobs of openapi-ts.config.ts one after another, in order.
 * (openapi-ts runs an array of jobs concurrently, and the first job cleans `generated/` when it
 * starts writing, which could delete `generated/relay/` that the second one has just written.)
 */
import { openapiTsJobs, runOpenapiTsJob } from './codegen/openapi-ts-jobs.ts';

for (const job of await openapiTsJobs()) await runOpenapiTsJob(job);
