// Every workflow the worker registers. Workflows are deterministic: no I/O, no Node built-ins.
export { billTenant, billTenantBatch, monthlyBilling, scheduledMonthlyBilling } from './billing.js';
export { deliverWebhooks } from './deliver-webhooks.js';
export { deprovisionInstallation } from './deprovision.js';
export { executeAgent } from './execute.js';
export { provisionInstallation } from './provision.js';
export { publishReview } from './publish-review.js';
export { reembedCatalog } from './reembed-catalog.js';
export { upgradeInstallation } from './upgrade.js';
