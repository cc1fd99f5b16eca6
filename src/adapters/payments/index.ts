import type { PaymentsGateway } from './payments-gateway.js';
import { StripePayments, type StripeOptions } from './stripe-payments.js';

export type { PaymentsGateway } from './payments-gateway.js';
export { isPermanentStripeError } from './stripe-payments.js';

/** The payment provider from configuration: Stripe when a secret key is set, else none (invoices stay in PostgreSQL). */
export function createPayments(
  stripe: Partial<StripeOptions> & { secretKey?: string },
): PaymentsGateway | null {
  if (!stripe.secretKey) return null;
  return new StripePayments({ ...stripe, secretKey: stripe.secretKey });
}
