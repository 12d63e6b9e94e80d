import type { TestProject } from 'vitest/node';
import { startPrismMock } from '../../src/testing/prism-mock.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the in-process Prism mock of spec/dexcom.openapi.yaml. */
    prismUrl: string;
  }
}

/** Starts one Prism mock on a free loopback port for the whole test run and stops it afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const prism = await startPrismMock();
  project.provide('prismUrl', prism.url);
  return () => prism.close();
}
