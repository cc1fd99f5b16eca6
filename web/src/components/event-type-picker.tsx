// The event types a webhook endpoint can subscribe to, as checkboxes: the list is the API's own (the
// enum of POST /v1/webhooks in the served OpenAPI document), so a new event type appears by itself.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { paths } from '../../../src/client/api-types';
import { requestBodySchema } from '../openapi-document';
import { ErrorNotice, Loading } from './states';

/** An event type an endpoint can subscribe to. */
export type EventType =
  paths['/v1/webhooks']['post']['requestBody']['content']['application/json']['eventTypes'][number];

/** The subscribable event types, from /openapi.json. */
function useEventTypes() {
  return useQuery({
    queryKey: ['openapi', 'webhook-event-types'],
    staleTime: Infinity,
    queryFn: async () => {
      const body = await requestBodySchema('/v1/webhooks', 'post');
      return (body.properties?.eventTypes?.items?.enum ?? []) as EventType[];
    },
  });
}

/** What the picker says when a form is sent with no event type chosen. */
export const noEventTypeMessage =
  'Choose at least one event type: an endpoint receives only the events it subscribes to.';

/**
 * The rule "at least one event type" for a form holding a picker: `allows()` answers whether the form
 * may be sent, and when not, makes the picker show why and moves focus to its first checkbox. The
 * error goes as soon as a type is chosen; `reset()` after the form was sent.
 */
export function useEventTypesRequired(idPrefix: string, value: EventType[]) {
  const [tried, setTried] = useState(false);
  return {
    error: tried && value.length === 0 ? noEventTypeMessage : null,
    allows() {
      if (value.length > 0) return true;
      setTried(true);
      document.querySelector<HTMLInputElement>(`#${idPrefix}-fieldset input[type=checkbox]`)?.focus();
      return false;
    },
    reset: () => setTried(false),
  };
}

/**
 * A fieldset of event type checkboxes, with "all" and "none". `error` is shown inline (and announced)
 * beneath the legend, e.g. when the form was sent with none chosen.
 */
export function EventTypePicker({
  idPrefix,
  value,
  onChange,
  error,
}: {
  idPrefix: string;
  value: EventType[];
  onChange: (types: EventType[]) => void;
  error?: string | null;
}) {
  const types = useEventTypes();
  if (types.isPending) return <Loading what="Loading the event types" />;
  if (types.error) return <ErrorNotice error={types.error} title="Could not load the event types" />;
  const all = types.data;
  const chosen = new Set(value);
  return (
    <fieldset
      className="event-types"
      id={`${idPrefix}-fieldset`}
      aria-describedby={error ? `${idPrefix}-error` : undefined}
    >
      <legend>
        Event types <span className="muted small">({value.length} chosen)</span>
      </legend>
      {error && (
        <p id={`${idPrefix}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button type="button" onClick={() => onChange(all)}>
          Choose all
        </button>
        <button type="button" onClick={() => onChange([])}>
          Choose none
        </button>
      </div>
      <ul className="plain checks">
        {all.map((type) => {
          const id = `${idPrefix}-${type}`;
          return (
            <li key={type}>
              <input
                id={id}
                type="checkbox"
                checked={chosen.has(type)}
                onChange={(event) =>
                  onChange(event.target.checked ? [...value, type] : value.filter((other) => other !== type))
                }
              />
              <label htmlFor={id}>
                <code>{type}</code>
              </label>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
