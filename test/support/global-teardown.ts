// Stops the stack global-setup started (nothing when the servers were given through env vars).
import { rm } from 'node:fs/promises';
import { takeTestStack } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const stack = takeTestStack();
  if (!stack) return;
  await stack.stop();
  await rm(stack.workDir, { recursive: true, force: true });
}
