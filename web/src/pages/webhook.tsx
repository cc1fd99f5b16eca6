// One webhook endpoint (organisation admins), in the manner of Svix's app portal: its status and why,
// a test event, disable / enable, a new signing secret (shown once), edit, delete; its deliveries with
// every attempt (status code, latency, response excerpt, error, next retry), retrying a failed one, and
// re-sending everything since a time.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../api';
import { ConfirmButton } from '../components/confirm';
import { EventTypePicker, useEventTypesRequired, type EventType } from '../components/event-type-picker';
import { FormPanel, SecretOnce } from '../components/form-panel';
import { useNotify } from '../components/notify';
import { Empty, ErrorNotice, QueryView } from '../components/states';
import { duration, when } from '../format';

type Endpoint = Schemas['WebhookEndpoint'];
type Delivery = Schemas['WebhookDelivery'];
type DeliveryStatus = Delivery['status'];

/** The webhook endpoint page. */
export default function WebhookPage() {
  const { id = '' } = useParams();
  const endpoint = useQuery({
    queryKey: ['webhooks', id],
    queryFn: () => unwrap(api.GET('/v1/webhooks/{id}', { params: { path: { id } } })),
  });
  return (
    <>
      <p className="small">
        <Link to="/webhooks">← All endpoints</Link>
      </p>
      <QueryView query={endpoint} what="the endpoint" back={{ to: '/webhooks', label: '← All endpoints' }}>
        {(data) => <EndpointView endpoint={data} />}
      </QueryView>
    </>
  );
}

function EndpointView({ endpoint }: { endpoint: Endpoint }) {
  const client = useQueryClient();
  const notify = useNotify();
  const navigate = useNavigate();
  const path = { params: { path: { id: endpoint.id } } };
  const [secret, setSecret] = useState<{ value: string; previousValidUntil: string | null } | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['webhooks'] });
  const setStatus = useMutation({
    mutationFn: (status: 'active' | 'disabled') =>
      unwrap(api.PATCH('/v1/webhooks/{id}', { ...path, body: { status } })),
    onSuccess: (changed) => {
      notify(`Endpoint ${changed.status === 'active' ? 'enabled' : 'disabled'}`);
      void refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/webhooks/{id}/rotate-secret', path)),
    onSuccess: (rotated) => {
      setSecret({ value: rotated.secret, previousValidUntil: rotated.previousValidUntil });
      notify('New signing secret: copy it now, it is shown once');
    },
  });
  const test = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/webhooks/{id}/test', path)),
    onSuccess: ({ eventId }) => {
      notify(`Test event ${eventId} sent: its delivery appears below`);
      void client.invalidateQueries({ queryKey: ['webhook-deliveries', endpoint.id] });
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/v1/webhooks/{id}', path)),
    onSuccess: () => {
      notify(`Endpoint ${endpoint.url} deleted`);
      void refresh();
      void navigate('/webhooks');
    },
  });
  const actionError = setStatus.error ?? rotate.error ?? test.error ?? remove.error;
  return (
    <>
      <h1 tabIndex={-1} className="break">
        {endpoint.url}
      </h1>
      <p>
        <span className={`badge ${endpoint.status}`} data-testid="endpoint-status">
          {endpoint.status}
        </span>{' '}
        {endpoint.disabledReason && <span>{endpoint.disabledReason}</span>}
        {endpoint.failingSince && (
          <span className="small"> · failing since {when(endpoint.failingSince)}</span>
        )}
      </p>
      {endpoint.description && <p>{endpoint.description}</p>}
      <p className="muted small">
        Subscribed to {endpoint.eventTypes.join(', ')} · created {when(endpoint.createdAt)}
      </p>
      <div className="row">
        <button type="button" onClick={() => test.mutate()} disabled={test.isPending}>
          Send test event
        </button>
        {endpoint.status === 'active' ? (
          <ConfirmButton
            label="Disable"
            question="Disable this endpoint? Events are not sent to it until it is enabled again."
            danger
            onConfirm={() => setStatus.mutate('disabled')}
          />
        ) : (
          <button type="button" onClick={() => setStatus.mutate('active')} disabled={setStatus.isPending}>
            Enable
          </button>
        )}
        <ConfirmButton
          label="Rotate secret"
          question="Make a new signing secret? The old one keeps signing for 24 hours beside it, so receivers can switch."
          confirmLabel="Rotate"
          onConfirm={() => rotate.mutate()}
        />
        <ConfirmButton
          label="Delete endpoint"
          question={`Delete ${endpoint.url} with its deliveries and secrets? This cannot be undone.`}
          confirmLabel="Delete"
          danger
          onConfirm={() => remove.mutate()}
        />
      </div>
      {actionError ? <ErrorNotice error={actionError} title="The endpoint refused the action" /> : null}
      {secret && (
        <SecretOnce
          what={
            <>
              The new signing secret
              {secret.previousValidUntil &&
                ` (the old one signs too until ${when(secret.previousValidUntil)})`}
            </>
          }
          value={secret.value}
          onDone={() => setSecret(null)}
        />
      )}
      <Deliveries endpointId={endpoint.id} />
      <Recover endpointId={endpoint.id} />
      <EditEndpoint endpoint={endpoint} />
    </>
  );
}

const statuses: Array<DeliveryStatus | ''> = ['', 'failed', 'pending', 'succeeded'];

function Deliveries({ endpointId }: { endpointId: string }) {
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const deliveries = useInfiniteQuery({
    queryKey: ['webhook-deliveries', endpointId, status],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/v1/webhooks/{id}/deliveries', {
          params: {
            path: { id: endpointId },
            query: { limit: 20, ...(status ? { status } : {}), ...(pageParam ? { cursor: pageParam } : {}) },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Deliveries appear and move by themselves (new events, attempts, retries): follow them, closely
    // while any is pending.
    refetchInterval: (query) =>
      query.state.data?.pages.some((page) => page.deliveries.some((d) => d.status === 'pending'))
        ? 2000
        : 5000,
  });
  return (
    <section aria-labelledby="deliveries">
      <h2 id="deliveries">Deliveries</h2>
      <div className="row">
        <label htmlFor="delivery-status">Show</label>
        <select
          id="delivery-status"
          className="auto"
          value={status}
          onChange={(event) => setStatus(event.target.value as DeliveryStatus | '')}
        >
          {statuses.map((s) => (
            <option key={s} value={s}>
              {s || 'all'}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => void deliveries.refetch()} disabled={deliveries.isFetching}>
          Refresh
        </button>
      </div>
      <QueryView query={{ ...deliveries, data: deliveries.data?.pages }} what="the deliveries">
        {(pages) => {
          const list = pages.flatMap((page) => page.deliveries);
          return list.length === 0 ? (
            <Empty>
              No deliveries{status ? ` with status ${status}` : ''} yet. Send a test event to try.
            </Empty>
          ) : (
            <>
              <ul className="plain" data-testid="deliveries">
                {list.map((delivery) => (
                  <DeliveryItem key={delivery.id} endpointId={endpointId} delivery={delivery} />
                ))}
              </ul>
              {deliveries.hasNextPage && (
                <button
                  type="button"
                  onClick={() => void deliveries.fetchNextPage()}
                  disabled={deliveries.isFetchingNextPage}
                >
                  {deliveries.isFetchingNextPage ? 'Loading…' : 'Show more deliveries'}
                </button>
              )}
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

function DeliveryItem({ endpointId, delivery }: { endpointId: string; delivery: Delivery }) {
  const client = useQueryClient();
  const notify = useNotify();
  const retry = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/webhooks/{id}/deliveries/{deliveryId}/retry', {
          params: { path: { id: endpointId, deliveryId: delivery.id } },
        }),
      ),
    onSuccess: () => {
      notify(`Delivery of ${delivery.eventType} queued to be sent again now`);
      void client.invalidateQueries({ queryKey: ['webhook-deliveries', endpointId] });
    },
  });
  return (
    <li className="panel delivery" data-testid={`delivery-${delivery.eventType}`}>
      <details>
        <summary>
          <code>{delivery.eventType}</code>{' '}
          <span className={`badge ${delivery.status}`}>{delivery.status}</span>{' '}
          <span className="small">
            {delivery.attemptCount} {delivery.attemptCount === 1 ? 'attempt' : 'attempts'}
            {delivery.lastStatusCode !== null && ` · last answer ${delivery.lastStatusCode}`} ·{' '}
            {when(delivery.createdAt)}
          </span>
        </summary>
        <p className="small muted">
          Event <code>{delivery.eventId}</code> (the <code>webhook-id</code> header)
          {delivery.nextAttemptAt && ` · next attempt ${when(delivery.nextAttemptAt)}`}
        </p>
        {delivery.attempts.length === 0 ? (
          <p className="muted">Not attempted yet.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Attempts, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Attempted</th>
                  <th scope="col">Status code</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Response or error</th>
                </tr>
              </thead>
              <tbody>
                {delivery.attempts.map((attempt) => (
                  <tr key={attempt.attemptedAt}>
                    <td>{when(attempt.attemptedAt)}</td>
                    <td data-testid="attempt-status">{attempt.statusCode ?? '—'}</td>
                    <td>{duration(attempt.latencyMs)}</td>
                    <td>
                      {attempt.error && <p className="problems small">{attempt.error}</p>}
                      {attempt.responseExcerpt && (
                        <pre className="excerpt" tabIndex={0} aria-label="Response excerpt">
                          {attempt.responseExcerpt}
                        </pre>
                      )}
                      {attempt.nextRetryAt && (
                        <p className="small muted">retry {when(attempt.nextRetryAt)}</p>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
      {delivery.status === 'failed' && (
        <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending}>
          Retry<span className="visually-hidden"> {delivery.eventType}</span>
        </button>
      )}
      {retry.error && <ErrorNotice error={retry.error} title="Could not retry" />}
    </li>
  );
}

function Recover({ endpointId }: { endpointId: string }) {
  const client = useQueryClient();
  const notify = useNotify();
  const [since, setSince] = useState('');
  const recover = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/webhooks/{id}/recover', {
          params: { path: { id: endpointId } },
          // datetime-local is the person's local time; the API takes an instant.
          body: { since: new Date(since).toISOString() },
        }),
      ),
    onSuccess: ({ deliveries }) => {
      notify(`${deliveries} ${deliveries === 1 ? 'event' : 'events'} will be sent again`);
      void client.invalidateQueries({ queryKey: ['webhook-deliveries', endpointId] });
    },
  });
  return (
    <FormPanel
      id="recover"
      title="Recover missed events"
      submitLabel="Re-send events"
      mutation={recover}
      errorTitle="Could not recover"
    >
      <p className="small muted">
        Sends again every event of this endpoint’s types since a time, one attempt each (after an outage of
        your receiver, say).
      </p>
      <label htmlFor="recover-since">Since (your local time)</label>
      <input
        id="recover-since"
        type="datetime-local"
        required
        value={since}
        onChange={(event) => setSince(event.target.value)}
      />
    </FormPanel>
  );
}

function EditEndpoint({ endpoint }: { endpoint: Endpoint }) {
  const client = useQueryClient();
  const notify = useNotify();
  const [url, setUrl] = useState(endpoint.url);
  const [description, setDescription] = useState(endpoint.description ?? '');
  const [eventTypes, setEventTypes] = useState(endpoint.eventTypes as EventType[]);
  const typesRequired = useEventTypesRequired('edit-type', eventTypes);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/v1/webhooks/{id}', {
          params: { path: { id: endpoint.id } },
          body: { url: url.trim(), eventTypes, description: description.trim() || null },
        }),
      ),
    onSuccess: () => {
      notify('Endpoint saved');
      void client.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });
  return (
    <FormPanel
      id="edit-endpoint"
      title="Edit the endpoint"
      submitLabel="Save changes"
      mutation={{ ...save, mutate: () => typesRequired.allows() && save.mutate() }}
      errorTitle="Could not save"
    >
      <label htmlFor="edit-url">URL</label>
      <input id="edit-url" type="url" required value={url} onChange={(event) => setUrl(event.target.value)} />
      <label htmlFor="edit-description">Description</label>
      <input
        id="edit-description"
        maxLength={500}
        value={description}
        onChange={(event) => setDescription(event.target.value)}
      />
      <EventTypePicker
        idPrefix="edit-type"
        value={eventTypes}
        onChange={setEventTypes}
        error={typesRequired.error}
      />
    </FormPanel>
  );
}
