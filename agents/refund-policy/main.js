// Refund-policy agent: decides whether a refund request meets a store's policy, offline and
// deterministically. Input: {"request": {...}, "policy": {...}} (see manifest.json's inputSchema).
// Output: {"decision": "approve" | "partial" | "deny", "refundAmount": n, "reasons": [...]}.
// Uses no imports, so it runs the same as CommonJS (inside an artifact) or as an ES module.
/* global process, console */
const DAY_MS = 24 * 60 * 60 * 1000;

function fail(message) {
  console.error(`refund-policy: ${message}`);
  process.exitCode = 2;
}

function days(from, to) {
  return Math.floor((Date.parse(to) - Date.parse(from)) / DAY_MS);
}

function decide(request, policy) {
  const reasons = [];
  let refundable = true;
  let amount = request.amount;

  if (policy.excludeFinalSale !== false && request.finalSale) {
    return { decision: 'deny', refundAmount: 0, reasons: ['final-sale items are not refundable'] };
  }
  const age = days(request.orderDate, request.requestDate);
  if (age < 0) return { decision: 'deny', refundAmount: 0, reasons: ['the request predates the order'] };
  // Defective goods are refundable for longer, when the policy says so.
  const window =
    request.condition === 'defective' ? (policy.defectWindowDays ?? policy.windowDays) : policy.windowDays;
  if (age > window) {
    refundable = false;
    reasons.push(`requested ${age} days after the order; the window is ${window} days`);
  } else {
    reasons.push(`requested ${age} days after the order, within the ${window}-day window`);
  }
  const allowed = policy.allowedConditions ?? ['unopened', 'defective'];
  if (!allowed.includes(request.condition)) {
    refundable = false;
    reasons.push(`items returned "${request.condition}" are not accepted (accepted: ${allowed.join(', ')})`);
  }
  if (policy.maxAmount !== undefined && amount > policy.maxAmount) {
    refundable = false;
    reasons.push(
      `amount ${amount} exceeds the automatic refund limit of ${policy.maxAmount}; needs a person`,
    );
  }
  if (!refundable) return { decision: 'deny', refundAmount: 0, reasons };

  const feePercent = request.condition === 'defective' ? 0 : (policy.restockingFeePercent ?? 0);
  if (feePercent > 0) {
    amount = Math.round(amount * (100 - feePercent)) / 100;
    reasons.push(`a ${feePercent}% restocking fee applies`);
    return { decision: 'partial', refundAmount: amount, reasons };
  }
  return { decision: 'approve', refundAmount: amount, reasons };
}

function valid(input) {
  const r = input && input.request;
  const p = input && input.policy;
  if (!r || !p) return 'input needs "request" and "policy"';
  if (Number.isNaN(Date.parse(r.orderDate)) || Number.isNaN(Date.parse(r.requestDate))) {
    return 'request.orderDate and request.requestDate must be dates (YYYY-MM-DD)';
  }
  if (typeof r.amount !== 'number' || r.amount < 0) return 'request.amount must be a non-negative number';
  if (typeof r.condition !== 'string') return 'request.condition must be a string';
  if (typeof p.windowDays !== 'number' || p.windowDays < 0) return 'policy.windowDays must be a number';
  return null;
}

let raw = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (raw += chunk));
process.stdin.on('end', () => {
  let input;
  try {
    input = JSON.parse(raw);
  } catch {
    return fail('input is not JSON');
  }
  const problem = valid(input);
  if (problem) return fail(problem);
  const result = decide(input.request, input.policy);
  console.error(`refund-policy: ${result.decision} (${result.reasons.length} reasons)`);
  process.stdout.write(JSON.stringify(result));
  console.error(JSON.stringify({ usage: { tokensIn: 0, tokensOut: 0 } }));
});
