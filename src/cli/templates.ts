// What `bazaar init` writes: a bazaar.json and a small example agent that follows the agent contract.

/** Answers to init's questions. */
export interface InitAnswers {
  slug: string;
  name: string;
  category: string;
  description: string;
  pricing: 'free' | 'usage_based';
  credentials: string[];
}

/** bazaar.json: the listing it belongs to and the version's manifest. */
export function manifestTemplate(answers: InitAnswers) {
  return {
    listing: {
      slug: answers.slug,
      name: answers.name,
      category: answers.category,
      tags: [],
      visibility: 'public',
    },
    version: '1.0.0',
    description: answers.description,
    pricing:
      answers.pricing === 'free'
        ? { model: 'free' }
        : { model: 'usage_based', pricePerInvocation: 0.01, freeInvocations: 100 },
    requiredCredentials: answers.credentials.map((name) => ({
      name,
      description: `${name}, read from the environment`,
    })),
    inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
    runtime: { kind: 'process', command: ['node', 'main.js'] },
    resources: { cpu: '250m', memory: '128Mi', timeoutSeconds: 10 },
  };
}

/** main.js: reads one JSON document on stdin, writes one on stdout, reports usage on stderr. */
export const agentTemplate = `// An example Bazaar agent: the input arrives as JSON on stdin, the output leaves as one JSON
// document on stdout, logs go to stderr, and a last stderr line may report token usage.
// Declared credentials are environment variables of the same name. Try: echo '{"text":"hi"}' | node main.js
const credentials = CREDENTIALS;
let raw = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (raw += chunk));
process.stdin.on('end', () => {
  const input = raw.trim() ? JSON.parse(raw) : {};
  const text = String(input.text ?? '');
  console.error('received', text.length, 'characters');
  const output = {
    answer: text ? \`You said: \${text}\` : 'Send {"text": "..."} and I will answer.',
    words: text.split(/\\s+/).filter(Boolean).length,
    // Never print a credential's value: say only whether it is there.
    credentialsPresent: Object.fromEntries(credentials.map((name) => [name, Boolean(process.env[name])])),
  };
  process.stdout.write(JSON.stringify(output));
  console.error(JSON.stringify({ usage: { tokensIn: text.length, tokensOut: output.answer.length } }));
});
`;

/** .bazaarignore: files `bazaar publish` leaves out of the artifact (gitignore syntax). */
export const ignoreTemplate = `# Left out of the artifact bazaar publish uploads (gitignore syntax).
*.log
.env
.env.*
test/
`;
