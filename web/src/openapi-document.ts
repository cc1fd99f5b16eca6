// The OpenAPI document the API serves, read once per page load: the console takes the API's own
// schemas and lists from it (the manifest schema, the webhook event types), so it cannot disagree.

/** The parts of a JSON Schema the console reads. */
interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  [keyword: string]: unknown;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } } | undefined>
  >;
}

let document: Promise<OpenApiDocument> | null = null;

function openApiDocument(): Promise<OpenApiDocument> {
  document ??= fetch('/openapi.json').then((response) => {
    if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
    return response.json() as Promise<OpenApiDocument>;
  });
  // Ask again next time after a failure.
  document.catch(() => (document = null));
  return document;
}

/** The JSON Schema of an operation's JSON request body, as the API validates it. */
export async function requestBodySchema(path: string, method: 'post' | 'put' | 'patch'): Promise<JsonSchema> {
  const schema = (await openApiDocument()).paths[path]?.[method]?.requestBody?.content['application/json']
    ?.schema;
  if (!schema) throw new Error(`the API describes no JSON body for ${method.toUpperCase()} ${path}`);
  return schema;
}
