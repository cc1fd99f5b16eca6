// One installation: live status while provisioning and the reason when it failed; a Run form
// generated from the version's inputSchema, the output as formatted JSON; the execution history.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, lazy, Suspense, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../api';
import { ConfirmButton } from '../components/confirm';
import { JsonView } from '../components/json-view';
import { useNotify } from '../components/notify';
import { Empty, ErrorNotice, Loading, QueryView } from '../components/states';
import { duration, money, when } from '../format';
import { isOrgAdmin, type Me } from '../session';

const RunForm = lazy(() => import('../components/run-form'));

type Installation = Schemas['Installation'];
type Execution = Schemas['Execution'];

const moving = new Set(['provisioning', 'deprovisioning']);
const unfinished = new Set(['queued', 'running']);

/** The installation page. */
export default function InstallationPage({ me }: { me: Me }) {
  const { id = '' } = useParams();
  // While an upgrade runs the installation stays active on its old version: follow it until it moves
  // (or the upgrade leaves a reason).
  const [upgrading, setUpgrading] = useState<{ to: string; reason: string | null } | null>(null);
  const installation = useQuery({
    queryKey: ['installation', id],
    queryFn: () => unwrap(api.GET('/v1/installations/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => {
      const data = query.state.data;
      if (!data) return false;
      const upgradePending =
        upgrading !== null && data.version !== upgrading.to && data.statusReason === upgrading.reason;
      return moving.has(data.status) || upgradePending ? 1000 : false;
    },
  });
  return (
    <QueryView
      query={installation}
      what="the installation"
      back={{ to: '/installations', label: '← All installations' }}
    >
      {(data) => (
        <InstallationView
          installation={data}
          me={me}
          onUpgrade={(to) => setUpgrading({ to, reason: data.statusReason })}
        />
      )}
    </QueryView>
  );
}

function InstallationView({
  installation,
  me,
  onUpgrade,
}: {
  installation: Installation;
  me: Me;
  onUpgrade: (version: string) => void;
}) {
  const client = useQueryClient();
  const notify = useNotify();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE('/v1/installations/{id}', { params: { path: { id: installation.id } } })),
    onSuccess: () => {
      notify(`Removing ${installation.listingSlug}…`);
      void client.invalidateQueries({ queryKey: ['installation', installation.id] });
      void client.invalidateQueries({ queryKey: ['installations'] });
    },
  });
  return (
    <>
      <h1 tabIndex={-1}>
        {installation.listingSlug} <span className="muted">{installation.version}</span>
      </h1>
      <p>
        <Link to={`/listings/${installation.listingSlug}`}>View the listing</Link>
      </p>
      <section aria-labelledby="status" className="panel">
        <h2 id="status">Status</h2>
        <p aria-live="polite" data-testid="installation-status">
          <span className={`badge ${installation.status}`}>{installation.status}</span>
          {moving.has(installation.status) && <span className="spinner" aria-hidden="true" />}
        </p>
        {installation.statusReason && (
          <p className={installation.status === 'failed' ? 'notice error' : 'notice'}>
            {installation.statusReason}
          </p>
        )}
        <dl className="facts">
          <div>
            <dt>Monthly budget</dt>
            <dd>{installation.monthlyBudget ?? 'none'}</dd>
          </div>
          <div>
            <dt>Credentials</dt>
            <dd>{installation.credentialNames.join(', ') || 'none'}</dd>
          </div>
          <div>
            <dt>Installed</dt>
            <dd>{when(installation.createdAt)}</dd>
          </div>
          {installation.upgradeAvailable && (
            <div>
              <dt>Upgrade</dt>
              <dd>
                {installation.upgradeAvailable.version} available ({installation.upgradeAvailable.risk} risk)
              </dd>
            </div>
          )}
        </dl>
        {isOrgAdmin(me) && installation.status === 'active' && (
          <AdminActions installation={installation} onUpgrade={onUpgrade} />
        )}
        {isOrgAdmin(me) && installation.status === 'active' && (
          <ConfirmButton
            label="Remove installation"
            question={`Remove ${installation.listingSlug}? Its runtime is destroyed and its secrets revoked; its history stays.`}
            confirmLabel="Remove"
            danger
            onConfirm={() => remove.mutate(undefined, { onSuccess: () => void navigate('/installations') })}
          />
        )}
        {remove.error && <ErrorNotice error={remove.error} title="Could not remove" />}
      </section>
      {installation.status === 'active' && <RunPanel installation={installation} />}
      <History installationId={installation.id} />
    </>
  );
}

function AdminActions({
  installation,
  onUpgrade,
}: {
  installation: Installation;
  onUpgrade: (version: string) => void;
}) {
  const client = useQueryClient();
  const notify = useNotify();
  const [budget, setBudget] = useState(installation.monthlyBudget ?? '');
  const refresh = () => client.invalidateQueries({ queryKey: ['installation', installation.id] });
  const setMonthlyBudget = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/v1/installations/{id}', {
          params: { path: { id: installation.id } },
          body: { monthlyBudget: budget === '' ? null : Number(budget) },
        }),
      ),
    onSuccess: (updated) => {
      notify(
        updated.monthlyBudget ? `Monthly budget set to ${updated.monthlyBudget}` : 'Monthly budget removed',
      );
      void refresh();
    },
  });
  const upgrade = useMutation({
    mutationFn: (version: string) =>
      unwrap(
        api.POST('/v1/installations/{id}/upgrade', {
          params: { path: { id: installation.id } },
          // The person confirmed after reading the advisory, whatever its risk.
          body: { version, acceptRisk: true },
        }),
      ),
    onSuccess: (_, version) => {
      notify(`Upgrading to ${version}…`);
      onUpgrade(version);
      void refresh();
    },
  });
  const budgetId = `budget-${installation.id}`;
  return (
    <>
      <form
        className="inline"
        onSubmit={(event) => {
          event.preventDefault();
          setMonthlyBudget.mutate();
        }}
      >
        <label htmlFor={budgetId}>Monthly budget (empty: none)</label>
        <input
          id={budgetId}
          type="number"
          min="0"
          step="0.01"
          value={budget}
          onChange={(event) => setBudget(event.target.value)}
        />
        <button type="submit" disabled={setMonthlyBudget.isPending}>
          Save budget
        </button>
      </form>
      {setMonthlyBudget.error && (
        <ErrorNotice error={setMonthlyBudget.error} title="Could not set the budget" />
      )}
      {installation.upgradeAvailable && (
        <>
          <UpgradeAdvisory installation={installation} to={installation.upgradeAvailable.version} />
          <ConfirmButton
            label={`Upgrade to ${installation.upgradeAvailable.version}`}
            question={`Move this installation to ${installation.upgradeAvailable.version} (${installation.upgradeAvailable.risk} risk, see what changes above)? The new version is provisioned beside the current one and takes over when ready; a failure rolls back.`}
            confirmLabel="Upgrade"
            danger={installation.upgradeAvailable.risk === 'high'}
            onConfirm={() => upgrade.mutate(installation.upgradeAvailable!.version)}
          />
        </>
      )}
      {upgrade.error && <ErrorNotice error={upgrade.error} title="Could not upgrade" />}
    </>
  );
}

/** What moving to `to` changes for this installation: the advisory's risk, reasons and each change. */
function UpgradeAdvisory({ installation, to }: { installation: Installation; to: string }) {
  const advisory = useQuery({
    queryKey: ['advisory', installation.listingId, installation.version, to],
    queryFn: () =>
      unwrap(
        api.GET('/v1/listings/{id}/advisory', {
          params: { path: { id: installation.listingId }, query: { from: installation.version, to } },
        }),
      ),
  });
  return (
    <section aria-label={`What changes in ${to}`}>
      <h3>
        What changes from {installation.version} to {to}
      </h3>
      <QueryView query={advisory} what="the upgrade advisory">
        {(data) => (
          <>
            <p>
              <span className={`badge risk-${data.risk}`}>{data.risk} risk</span> {data.semverChange} change
              {data.reasons.length > 0 && `: ${data.reasons.join('; ')}`}
            </p>
            {data.changes.length === 0 ? (
              <p className="small">Nothing a consumer depends on changes.</p>
            ) : (
              <ul>
                {data.changes.map((change, n) => (
                  <li key={n}>
                    {change.breaking && <strong>Breaking: </strong>}
                    {change.summary}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}

function RunPanel({ installation }: { installation: Installation }) {
  const client = useQueryClient();
  const notify = useNotify();
  const [executionId, setExecutionId] = useState<string | null>(null);
  const version = useQuery({
    queryKey: ['version', installation.listingId, installation.version],
    queryFn: () =>
      unwrap(
        api.GET('/v1/listings/{id}/versions/{version}', {
          params: { path: { id: installation.listingId, version: installation.version } },
        }),
      ),
  });
  const run = useMutation({
    mutationFn: async (input: unknown) => {
      const { data, error, response } = await api.POST('/v1/installations/{id}/executions', {
        params: { path: { id: installation.id }, header: {} },
        body: { input, mode: 'sync' },
      });
      await unwrap(Promise.resolve({ data, error, response }));
      return response.status === 200 ? (data as Execution).id : (data as { executionId: string }).executionId;
    },
    onSuccess: (id) => {
      setExecutionId(id);
      void client.invalidateQueries({ queryKey: ['executions', installation.id] });
    },
  });
  const execution = useQuery({
    queryKey: ['execution', executionId],
    enabled: executionId !== null,
    queryFn: () => unwrap(api.GET('/v1/executions/{id}', { params: { path: { id: executionId! } } })),
    refetchInterval: (query) => (query.state.data && unfinished.has(query.state.data.status) ? 1000 : false),
  });
  const finished = execution.data && !unfinished.has(execution.data.status) ? execution.data.status : null;
  // Refresh the history once the run has finished.
  useEffect(() => {
    if (finished) void client.invalidateQueries({ queryKey: ['executions', installation.id] });
  }, [finished, executionId, client, installation.id]);
  return (
    <section aria-labelledby="run" className="panel">
      <h2 id="run">Run</h2>
      <QueryView query={version} what="the input form">
        {(v) => (
          <Suspense fallback={<Loading what="Preparing the form" />}>
            <RunForm
              schema={v.manifest.inputSchema}
              disabled={run.isPending}
              onSubmit={(input) => {
                setExecutionId(null);
                run.mutate(input, { onSuccess: () => notify('Run started') });
              }}
            />
          </Suspense>
        )}
      </QueryView>
      {run.isPending && <Loading what="Running" />}
      {run.error && <ErrorNotice error={run.error} title="The run was refused" />}
      {execution.data && (
        <div className="result" data-testid="run-result" aria-live="polite">
          <p>
            <span className={`badge ${execution.data.status}`}>{execution.data.status}</span>{' '}
            {duration(execution.data.durationMs)}
            {execution.data.cost !== null &&
              ` · ${money(execution.data.cost, execution.data.currency ?? 'usd')}`}
          </p>
          {execution.data.usageSource && (
            <p className="muted small" data-testid="run-usage">
              {execution.data.tokensIn} tokens in, {execution.data.tokensOut} out ·{' '}
              {execution.data.usageSource === 'gateway'
                ? 'metered by the gateway'
                : 'as reported by the agent'}
            </p>
          )}
          {execution.data.reason && <p className="notice error">{execution.data.reason}</p>}
          {execution.data.status === 'succeeded' && <JsonView value={execution.data.output} label="Output" />}
          {execution.data.toolCalls.length > 0 && <ToolCalls calls={execution.data.toolCalls} />}
        </div>
      )}
    </section>
  );
}

function History({ installationId }: { installationId: string }) {
  const [open, setOpen] = useState<string | null>(null);
  const executions = useQuery({
    queryKey: ['executions', installationId],
    queryFn: () =>
      unwrap(
        api.GET('/v1/installations/{id}/executions', {
          params: { path: { id: installationId }, query: { limit: 50 } },
        }),
      ),
    refetchInterval: (query) =>
      query.state.data?.executions.some((e) => unfinished.has(e.status)) ? 1500 : false,
  });
  return (
    <section aria-labelledby="history">
      <h2 id="history">History</h2>
      <QueryView query={executions} what="the history">
        {({ executions: list }) =>
          list.length === 0 ? (
            <Empty>No runs yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table data-testid="history">
                <caption className="visually-hidden">Executions, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Status</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Tokens in / out</th>
                    <th scope="col">Cost</th>
                    <th scope="col">Reason</th>
                    <th scope="col">
                      <span className="visually-hidden">Details</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((e) => (
                    <Fragment key={e.id}>
                      <tr>
                        <td>{when(e.createdAt)}</td>
                        <td>
                          <span className={`badge ${e.status}`}>{e.status}</span>
                        </td>
                        <td>{duration(e.durationMs)}</td>
                        <td>
                          {e.tokensIn ?? '—'} / {e.tokensOut ?? '—'}
                          {e.usageSource && (
                            <span className="muted small">
                              {' '}
                              (
                              {e.usageSource === 'gateway'
                                ? 'metered by the gateway'
                                : 'reported by the agent'}
                              )
                            </span>
                          )}
                        </td>
                        <td>{e.cost !== null ? money(e.cost, e.currency ?? 'usd') : '—'}</td>
                        <td>{e.reason ?? ''}</td>
                        <td>
                          <button
                            type="button"

                            aria-expanded={open === e.id}
                            onClick={() => setOpen(open === e.id ? null : e.id)}
                          >
                            Tool calls
                          </button>
                        </td>
                      </tr>
                      {open === e.id && (
                        <tr>
                          <td colSpan={7}>
                            <ExecutionToolCalls id={e.id} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </section>
  );
}

/** The calls a run made through the tool gateway, as the gateway measured them. */
function ToolCalls({ calls }: { calls: Schemas['ToolCall'][] }) {
  return (
    <table data-testid="tool-calls">
      <caption>Tool calls</caption>
      <thead>
        <tr>
          <th scope="col">Tool</th>
          <th scope="col">Model</th>
          <th scope="col">Status</th>
          <th scope="col">Tokens in</th>
          <th scope="col">Tokens out</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {calls.map((call, index) => (
          <tr key={index}>
            <td>
              <code>{call.tool}</code>
            </td>
            <td>{call.model ?? '—'}</td>
            <td>
              <span className={`badge ${call.status}`}>{call.status}</span>
            </td>
            <td>{call.tokensIn}</td>
            <td>{call.tokensOut}</td>
            <td>{duration(call.durationMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One past execution's tool calls, fetched when its history row is opened. */
function ExecutionToolCalls({ id }: { id: string }) {
  const execution = useQuery({
    queryKey: ['execution', id],
    queryFn: () => unwrap(api.GET('/v1/executions/{id}', { params: { path: { id } } })),
  });
  return (
    <QueryView query={execution} what="the tool calls">
      {(data) =>
        data.toolCalls.length === 0 ? (
          <p className="small">No tool calls.</p>
        ) : (
          <ToolCalls calls={data.toolCalls} />
        )
      }
    </QueryView>
  );
}
