// One set of local AWS parts (DynamoDB Local + fauxqs) for the whole test
// run; test files reach them through `inject('localAws')` (see ./aws.ts) and
// keep apart by using their own table and topic names.
import type { TestProject } from 'vitest/node';
import { startLocalAws, type LocalAwsInfo } from '../../local/local-aws.ts';
import { isAlive } from './process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    localAws: LocalAwsInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const local = await startLocalAws();
  project.provide('localAws', { region: local.region, endpoints: local.endpoints });
  return async () => {
    await local.stop();
    if (isAlive(local.dynamoPid)) {
      throw new Error(`DynamoDB Local (pid ${local.dynamoPid}) is still running after the test run`);
    }
  };
}
