import type {
  Invocation,
  InvocationResult,
  RuntimeDriver,
  RuntimeKind,
  RuntimeRef,
  RuntimeSlot,
  RuntimeSpec,
} from './runtime-driver.js';

/** Thrown when a version needs a kind of runtime this Bazaar runs no driver for (not worth retrying). */
export class UnsupportedRuntimeError extends Error {
  override name = 'UnsupportedRuntime';
}

/**
 * The one RuntimeDriver the activities use: it sends each slot to the driver configured for the
 * version's runtime kind (process, container, remote), and each reference back to the driver that
 * made it.
 */
export class RuntimeRouter implements RuntimeDriver {
  readonly kind = 'router';
  private readonly byKind: Partial<Record<RuntimeKind, RuntimeDriver>>;
  private readonly byName = new Map<string, RuntimeDriver>();

  constructor(byKind: Partial<Record<RuntimeKind, RuntimeDriver>>) {
    this.byKind = byKind;
    for (const driver of Object.values(byKind)) if (driver) this.byName.set(driver.kind, driver);
  }

  /** Whether some driver runs versions of this runtime kind. */
  supports(kind: RuntimeKind): boolean {
    return this.byKind[kind] !== undefined;
  }

  refFor(slot: RuntimeSlot): RuntimeRef {
    return this.forKind(slot.runtimeKind).refFor(slot);
  }

  createRuntime(spec: RuntimeSpec): Promise<RuntimeRef> {
    return this.forKind(spec.runtimeKind).createRuntime(spec);
  }

  destroyRuntime(ref: RuntimeRef): Promise<void> {
    return this.forRef(ref).destroyRuntime(ref);
  }

  injectSecrets(ref: RuntimeRef, secrets: Record<string, string>): Promise<void> {
    return this.forRef(ref).injectSecrets(ref, secrets);
  }

  revokeSecrets(ref: RuntimeRef): Promise<void> {
    return this.forRef(ref).revokeSecrets(ref);
  }

  invoke(ref: RuntimeRef, invocation: Invocation): Promise<InvocationResult> {
    return this.forRef(ref).invoke(ref, invocation);
  }

  secretNames(ref: RuntimeRef): Promise<string[]> {
    return this.forRef(ref).secretNames(ref);
  }

  private forKind(kind: RuntimeKind): RuntimeDriver {
    const driver = this.byKind[kind];
    if (!driver) throw new UnsupportedRuntimeError(`this Bazaar runs no driver for ${kind} agents`);
    return driver;
  }

  private forRef(ref: RuntimeRef): RuntimeDriver {
    const driver = this.byName.get(ref.driver);
    if (!driver) throw new UnsupportedRuntimeError(`no runtime driver named ${ref.driver} is configured`);
    return driver;
  }
}
