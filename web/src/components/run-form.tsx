// The Run form, generated from the version's inputSchema (JSON Schema) by react-jsonschema-form with
// the ajv validator: labelled fields, inline errors, the same rules the agent declared.
import Form from '@rjsf/core';
import type { RJSFSchema } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import { useState } from 'react';

/** A form for one input schema; calls onSubmit with the valid input. */
export default function RunForm({
  schema,
  disabled,
  onSubmit,
}: {
  schema: Record<string, unknown>;
  disabled: boolean;
  onSubmit: (input: unknown) => void;
}) {
  const [formData, setFormData] = useState<unknown>(undefined);
  return (
    <Form
      schema={schema as RJSFSchema}
      validator={validator}
      formData={formData}
      disabled={disabled}
      showErrorList="top"
      onChange={(event) => setFormData(event.formData)}
      onSubmit={(event) => onSubmit(event.formData ?? {})}
    >
      <button type="submit" className="primary" disabled={disabled}>
        Run
      </button>
    </Form>
  );
}
