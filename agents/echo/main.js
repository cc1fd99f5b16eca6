// Echo agent: answers with the input it was given, and reports token usage on its last stderr line.
// Uses no imports, so it runs the same as CommonJS (inside an artifact) or as an ES module.
/* global process, console */
let raw = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (raw += chunk));
process.stdin.on('end', () => {
  const input = raw.trim() === '' ? null : JSON.parse(raw);
  console.error(`echo: received ${raw.length} characters`);
  process.stdout.write(JSON.stringify({ echo: input }));
  // A rough token count (four characters a token), to show how an agent reports usage.
  const tokens = Math.ceil(raw.length / 4);
  console.error(JSON.stringify({ usage: { tokensIn: tokens, tokensOut: tokens } }));
});
