// What the gateway's call journal costs a call: the synchronous append made before answering (a
// record as the gateway journals it, JSON and one write), and forgetting it once its batch is in.
// Run: npx tsx bench/gateway-journal.bench.ts [--records=20000]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ToolCallRecord } from '../src/domain/gateway/tool-calls.js';
import { CallJournal } from '../src/gateway/call-journal.js';

const { values } = parseArgs({ options: { records: { type: 'string', default: '20000' } } });
const count = Number(values.records);
const dir = mkdtempSync(join(tmpdir(), 'bazaar-journal-bench-'));
const journal = CallJournal.open(dir);
const records: ToolCallRecord[] = Array.from({ length: count }, () => ({
  callId: randomUUID(),
  tokenHash: 'a'.repeat(64),
  executionId: randomUUID(),
  orgId: randomUUID(),
  installationId: randomUUID(),
  tool: 'openai',
  model: 'gpt-4o-mini',
  status: 'succeeded',
  tokensIn: 17,
  tokensOut: 5,
  durationMs: 1.2345,
  upstreamStatus: 200,
  pricePer1kInputTokens: '0.15',
  pricePer1kOutputTokens: '0.6',
}));

// CPU time (user and system), not wall time: on a shared machine the process may wait for a core.
const cpuMicros = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};
const beforeAppend = process.cpuUsage();
for (const record of records) journal.append(record);
const appendUs = cpuMicros(beforeAppend) / count;
const beforeWritten = process.cpuUsage();
for (let i = 0; i < count; i += 500) journal.written(records.slice(i, i + 500));
const writtenUs = cpuMicros(beforeWritten) / count;
journal.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  `journal: ${appendUs.toFixed(1)} µs CPU per append (before the answer), ${writtenUs.toFixed(2)} µs CPU per record forgotten after its batch (${count} records)`,
);
