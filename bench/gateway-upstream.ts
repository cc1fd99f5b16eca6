// The OpenAI-compatible stand-in upstream in a process of its own, for bench/gateway.bench.ts: so
// that its work is not counted as the gateway's. Tells its parent where it is, stops on disconnect.
import { startOpenAiUpstream } from '../test/support/openai-upstream.js';

const upstream = await startOpenAiUpstream({ apiKey: process.argv[2]! });
// The stand-in records every request for tests; a benchmark's hundreds of thousands are not kept.
setInterval(() => upstream.requests.splice(0), 1000).unref();
process.send!({ baseUrl: upstream.baseUrl, certFile: upstream.certFile });
process.on('disconnect', () => void upstream.stop().then(() => process.exit(0)));
