import { ApplicationFailure } from '@temporalio/common';

/**
 * Every failure type Bazaar's activities and workflows raise, named once: activities throw them
 * with nonRetryable(), workflows fail with them, and retry policies list them.
 */
export const failureTypes = [
  // Permanent problems an activity finds: retrying cannot help.
  'MissingCredentials',
  'InstallationNotFound',
  'InstallationChanged',
  'VersionNotFound',
  'ExecutionNotFound',
  'InvoiceNotFound',
  'InvalidVersionStatus',
  'InvalidInstallationStatus',
  'InvalidPeriod',
  'NotEntitled',
  'UnsupportedRuntime',
  'EndpointRefused',
  'StripeRefused',
  // How a workflow ends when it failed, after its undos ran.
  'ProvisioningFailed',
  'UpgradeFailed',
  'PublicationFailed',
  'CleanupFailed',
  'BillingIncomplete',
] as const;

/** One failure type. */
export type FailureType = (typeof failureTypes)[number];

/** A failure that is not retried, of a named type, with what caused it and details for the caller. */
export function nonRetryable(
  type: FailureType,
  message: string,
  options: { cause?: Error; details?: unknown[] } = {},
): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, ...options });
}
