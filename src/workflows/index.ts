// Every workflow the worker registers. Workflows are deterministic: no I/O, no Node built-ins.
export { publishReview } from './publish-review.js';
export { reembedCatalog } from './reembed-catalog.js';
