// Summarises a V8 CPU profile (what `node --cpu-prof` writes, e.g. `bench/http.bench.ts --profile=DIR`):
// the functions with the most self time, and the most inclusive time (a function's own samples plus
// those of everything it called, counted once per sample however deep the recursion), by package.
// With --origins=a,b: the share of the busy (not idle) time spent in frames whose origin contains one
// of them, e.g. --origins=@opentelemetry,src/observability,trace-requests,http-metrics,prom-client.
// Run: npx tsx bench/cpu-profile-summary.ts <file.cpuprofile> [--top=40] [--grep=text] [--origins=a,b]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, ...rest] = process.argv.slice(2);
if (!file) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile> [--top=40] [--grep=text]');
const options = new Map(rest.map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const top = Number(options.get('top') ?? 40);
const grep = options.get('grep');

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

// Where a frame comes from: the package in node_modules, else the file under the project, else Node.
function origin(url: string): string {
  if (!url) return '(native)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1]!;
  const inProject = /\/(src|bench|test)\/(.*)$/.exec(url);
  if (inProject) return `${inProject[1]}/${inProject[2]}`;
  return url.startsWith('node:') ? url : url.replace(/^file:\/\//, '');
}

const nameOf = (node: ProfileNode) =>
  `${node.callFrame.functionName || '(anonymous)'}  ${origin(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;

// Sample durations: timeDeltas[i] is the time before sample i.
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const byOrigin = new Map<string, number>();
let total = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const micros = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
  const leaf = byId.get(profile.samples[i]!)!;
  total += micros;
  if (leaf.callFrame.functionName === '(idle)') idle += micros;
  const leafName = nameOf(leaf);
  self.set(leafName, (self.get(leafName) ?? 0) + micros);
  byOrigin.set(origin(leaf.callFrame.url), (byOrigin.get(origin(leaf.callFrame.url)) ?? 0) + micros);
  const seen = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parentOf.get(id)) {
    const name = nameOf(byId.get(id)!);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
  }
}

const percent = (micros: number) => `${((micros / total) * 100).toFixed(1).padStart(5)} %`;
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  [...map]
    .filter(([name]) => !grep || name.includes(grep))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([name, micros]) => console.log(`${percent(micros)}  ${name}`));
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
show('self time by origin', byOrigin);
const origins = options.get('origins')?.split(',');
if (origins) {
  const busy = total - idle;
  const chosen = [...byOrigin]
    .filter(([name]) => origins.some((part) => name.includes(part)))
    .reduce((sum, [, micros]) => sum + micros, 0);
  console.log(
    `\nbusy (not idle) ${(busy / 1e6).toFixed(2)} s, of which in ${origins.join(', ')}: ${((chosen / busy) * 100).toFixed(2)} %`,
  );
}
show('self time by function', self);
show('inclusive time by function', inclusive);
