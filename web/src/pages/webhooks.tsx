// Webhook endpoints of the organisation (admins): the list with each one's status, and registering a
// new one (URL, event types from the API's list, description) whose signing secret is shown once.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api';
import { EventTypePicker, useEventTypesRequired, type EventType } from '../components/event-type-picker';
import { FormPanel, SecretOnce } from '../components/form-panel';
import { useNotify } from '../components/notify';
import { Empty, QueryView } from '../components/states';
import { when } from '../format';

/** The webhooks page. */
export default function WebhooksPage() {
  const client = useQueryClient();
  const notify = useNotify();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [eventTypes, setEventTypes] = useState<EventType[]>([]);
  const [created, setCreated] = useState<{ id: string; url: string; secret: string } | null>(null);
  const typesRequired = useEventTypesRequired('new-type', eventTypes);
  const endpoints = useQuery({ queryKey: ['webhooks'], queryFn: () => unwrap(api.GET('/v1/webhooks')) });
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/webhooks', {
          body: {
            url: url.trim(),
            eventTypes,
            ...(description.trim() ? { description: description.trim() } : {}),
          },
        }),
      ),
    onSuccess: ({ endpoint, secret }) => {
      setCreated({ id: endpoint.id, url: endpoint.url, secret });
      setUrl('');
      setDescription('');
      setEventTypes([]);
      typesRequired.reset();
      notify(`Endpoint ${endpoint.url} registered: copy its signing secret now, it is shown once`);
      void client.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });
  return (
    <>
      <h1 tabIndex={-1}>Webhooks</h1>
      <p className="muted">
        Bazaar sends your endpoints the events they subscribe to, signed the Standard Webhooks way (headers{' '}
        <code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>), and retries
        failed deliveries on a schedule.
      </p>
      <QueryView query={endpoints} what="the endpoints">
        {({ endpoints: list }) =>
          list.length === 0 ? (
            <Empty>No endpoints yet: register one below to receive events.</Empty>
          ) : (
            <div className="table-wrap">
              <table data-testid="webhook-endpoints">
                <thead>
                  <tr>
                    <th scope="col">Endpoint</th>
                    <th scope="col">Status</th>
                    <th scope="col">Event types</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((endpoint) => (
                    <tr key={endpoint.id}>
                      <td>
                        <Link to={`/webhooks/${endpoint.id}`}>{endpoint.url}</Link>
                        {endpoint.description && <div className="small muted">{endpoint.description}</div>}
                      </td>
                      <td>
                        <span className={`badge ${endpoint.status}`}>{endpoint.status}</span>
                        {endpoint.disabledReason && <div className="small">{endpoint.disabledReason}</div>}
                        {endpoint.failingSince && (
                          <div className="small">failing since {when(endpoint.failingSince)}</div>
                        )}
                      </td>
                      <td className="small">{endpoint.eventTypes.join(', ')}</td>
                      <td>{when(endpoint.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      <FormPanel
        id="new-endpoint"
        title="Register an endpoint"
        submitLabel="Register endpoint"
        mutation={{ ...create, mutate: () => typesRequired.allows() && create.mutate() }}
        errorTitle="Could not register the endpoint"
        after={
          created && (
            <SecretOnce
              what={
                <>
                  The signing secret of <Link to={`/webhooks/${created.id}`}>{created.url}</Link>
                </>
              }
              value={created.secret}
              onDone={() => setCreated(null)}
            />
          )
        }
      >
        <label htmlFor="endpoint-url">URL (public https://)</label>
        <input
          id="endpoint-url"
          type="url"
          required
          placeholder="https://example.com/bazaar-events"
          value={url}
          onChange={(event) => setUrl(event.target.value)}
        />
        <label htmlFor="endpoint-description">Description (optional)</label>
        <input
          id="endpoint-description"
          maxLength={500}
          value={description}
          onChange={(event) => setDescription(event.target.value)}
        />
        <EventTypePicker
          idPrefix="new-type"
          value={eventTypes}
          onChange={setEventTypes}
          error={typesRequired.error}
        />
      </FormPanel>
    </>
  );
}
