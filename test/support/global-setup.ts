// Once per test run of the integration and e2e projects: a Temporal dev server (in memory, on free
// ports) and a fresh PostgreSQL database with migrations applied, so runs never collide. Both are
// torn down at the end.
import type { TestProject } from 'vitest/node';
import { startTestServices } from './test-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    temporalCliPath: string;
  }
}

export default async function setup(project: TestProject) {
  const services = await startTestServices({ databasePrefix: 'bazaar_test' });
  project.provide('databaseUrl', services.databaseUrl);
  project.provide('temporalAddress', services.temporalAddress);
  project.provide('temporalCliPath', services.temporalCliPath);
  return () => services.stop();
}
