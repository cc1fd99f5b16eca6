import type { Manifest } from '../../../domain/catalog/schemas.js';
import type { SandboxLimits } from './sandbox-types.js';

/** Platform defaults for the limits a manifest does not speak to. */
export const defaultSandboxLimits = { maxProcesses: 64, maxOutputBytes: 1024 * 1024 } as const;

const memoryUnits: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024 };

/**
 * The sandbox limits for a version's `resources`: its wall timeout, its memory, and a CPU-time
 * budget of (cores x timeout) seconds, so an agent using its whole CPU share never trips it early.
 */
export function limitsFromManifest(
  resources: Manifest['resources'],
  overrides: Partial<SandboxLimits> = {},
): SandboxLimits {
  const memory = /^(\d+)(Ki|Mi|Gi)$/.exec(resources.memory);
  const memoryMiB = memory ? Math.ceil(Number(memory[1]) * (memoryUnits[memory[2]!] ?? 1)) : 256;
  const cores = resources.cpu.endsWith('m')
    ? Number(resources.cpu.slice(0, -1)) / 1000
    : Number(resources.cpu);
  return {
    timeoutMs: resources.timeoutSeconds * 1000,
    // Node itself needs about 40 MiB of writable memory to start.
    memoryMiB: Math.max(memoryMiB, 64),
    cpuSeconds: Math.max(1, Math.ceil(cores * resources.timeoutSeconds)),
    ...defaultSandboxLimits,
    ...overrides,
  };
}
