// The manifest editor: JSON checked as you type against the manifest's JSON Schema, taken from the
// OpenAPI document the API serves (the schema POST /v1/listings/{id}/versions validates with), so
// the console and the API cannot disagree; rules across fields (e.g. a price for the pricing model)
// are the API's to check on save, and its answer lists each field.
import { useQuery } from '@tanstack/react-query';
import Ajv2020 from 'ajv/dist/2020';
import { useMemo } from 'react';
import { requestBodySchema } from '../openapi-document';

/** The manifest schema, from /openapi.json. */
function useManifestSchema() {
  return useQuery({
    queryKey: ['openapi', 'manifest-schema'],
    staleTime: Infinity,
    queryFn: () => requestBodySchema('/v1/listings/{id}/versions', 'post'),
  });
}

/** Problems with the text: not JSON, or each schema violation with its path. */
export function useManifestProblems(text: string): { problems: string[]; ready: boolean } {
  const schema = useManifestSchema();
  const validate = useMemo(() => {
    if (!schema.data) return null;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    return ajv.compile(schema.data);
  }, [schema.data]);
  return useMemo(() => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { problems: [`not valid JSON: ${(error as Error).message}`], ready: Boolean(validate) };
    }
    if (!validate) return { problems: [], ready: false };
    if (validate(value)) return { problems: [], ready: true };
    return {
      problems: (validate.errors ?? []).map(
        (e) => `${e.instancePath || '(manifest)'} ${e.message ?? 'is invalid'}`,
      ),
      ready: true,
    };
  }, [text, validate]);
}

/** A labelled JSON text area with its problems listed beneath. */
export function ManifestEditor({ value, onChange }: { value: string; onChange: (text: string) => void }) {
  const { problems, ready } = useManifestProblems(value);
  return (
    <div className="manifest-editor">
      <label htmlFor="manifest">Manifest (JSON)</label>
      <textarea
        id="manifest"
        rows={18}
        spellCheck={false}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-describedby="manifest-problems"
        aria-invalid={problems.length > 0}
      />
      <div id="manifest-problems" aria-live="polite">
        {problems.length === 0 ? (
          <p className="muted small">
            {ready ? 'Valid against the manifest schema.' : 'Loading the schema…'}
          </p>
        ) : (
          <ul className="problems small">
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
