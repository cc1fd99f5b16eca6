// Platform admin: start a billing run for a month and follow its workflow until it finishes.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api';
import { ConfirmButton } from '../components/confirm';
import { JsonView } from '../components/json-view';
import { useNotify } from '../components/notify';
import { ErrorNotice, QueryView } from '../components/states';
import { when } from '../format';

const lastMonth = () => {
  const date = new Date();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() - 1);
  return date.toISOString().slice(0, 7);
};

/** The billing runs page (platform admins). */
export default function BillingRunsPage() {
  const notify = useNotify();
  const [period, setPeriod] = useState(lastMonth());
  const [workflowId, setWorkflowId] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/billing-runs', { body: { period } })),
    onSuccess: (result) => {
      setWorkflowId(result.workflowId);
      notify(`Billing run for ${period} started`);
    },
  });
  const status = useQuery({
    queryKey: ['workflow', workflowId],
    enabled: workflowId !== null,
    queryFn: () =>
      unwrap(api.GET('/v1/workflows/{workflowId}', { params: { path: { workflowId: workflowId! } } })),
    refetchInterval: (query) => (query.state.data?.status === 'RUNNING' ? 1000 : false),
  });
  return (
    <>
      <h1 tabIndex={-1}>Billing runs</h1>
      <p className="muted">
        A Temporal schedule bills every month shortly after it ends; start one by hand for a closed month, or
        the current one for a preview. Repeating a run is safe.
      </p>
      <div className="inline">
        <label htmlFor="period">Month</label>
        <input
          id="period"
          type="month"
          required
          value={period}
          onChange={(event) => setPeriod(event.target.value)}
        />
        <ConfirmButton
          label="Start billing run"
          question={`Bill every organisation for ${period}?`}
          confirmLabel="Start"
          onConfirm={() => start.mutate()}
          disabled={start.isPending || !period}
        />
      </div>
      {start.error && <ErrorNotice error={start.error} title="Could not start" />}
      {workflowId && (
        <section aria-labelledby="progress" className="panel">
          <h2 id="progress">
            Progress of <code>{workflowId}</code>
          </h2>
          <QueryView query={status} what="the run">
            {(run) => (
              <div aria-live="polite">
                <p>
                  <span className={`badge ${run.status.toLowerCase()}`}>{run.status}</span> · started{' '}
                  {when(run.startTime)}
                  {run.closeTime && ` · finished ${when(run.closeTime)}`}
                </p>
                {run.failure && <p className="notice error">{run.failure}</p>}
                {run.result !== undefined && <JsonView value={run.result} label="Result" />}
              </div>
            )}
          </QueryView>
        </section>
      )}
    </>
  );
}
