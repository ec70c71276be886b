// Builds the harness's Lambda container (lambda-container.ts with the scan
// handler) with esbuild, as the CDK's NodejsFunction bundles the deployed
// function. Packages stay external and load from the project's
// node_modules, which is why the file lands under node_modules/.cache.
import { mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ContainerBundle {
  path: string;
  remove(): Promise<void>;
}

export async function bundleLambdaContainer(): Promise<ContainerBundle> {
  const dir = fileURLToPath(new URL('../node_modules/.cache/kfa-chaos/', import.meta.url));
  await mkdir(dir, { recursive: true });
  // One file per harness process: parallel test workers must not overwrite each other's.
  const path = `${dir}lambda-container-${process.pid}-${Date.now()}.mjs`;
  await build({
    entryPoints: [fileURLToPath(new URL('./lambda-container.ts', import.meta.url))],
    outfile: path,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return { path, remove: () => rm(path, { force: true }) };
}
