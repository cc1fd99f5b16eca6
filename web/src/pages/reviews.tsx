// The review queue: each pending version with its listing, the automated checks' results, its manifest
// and the diff against the published version; approve, or reject with a reason.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api';
import { ConfirmButton } from '../components/confirm';
import { JsonView } from '../components/json-view';
import { JsonDiff } from '../components/line-diff';
import { useNotify } from '../components/notify';
import { Empty, ErrorNotice, Loading, QueryView } from '../components/states';
import { explainPricing, when } from '../format';

type Review = { version: Schemas['Version']; listing: Schemas['Listing']; workflowId: string };

/** The reviews page (reviewers and platform admins). */
export default function ReviewsPage() {
  const queue = useQuery({
    queryKey: ['reviews'],
    queryFn: () => unwrap(api.GET('/v1/reviews', { params: { query: { status: 'pending' } } })),
    refetchInterval: 5000,
  });
  return (
    <>
      <h1 tabIndex={-1}>Review queue</h1>
      <QueryView query={queue} what="the review queue">
        {({ reviews }) =>
          reviews.length === 0 ? (
            <Empty>Nothing is waiting for review.</Empty>
          ) : (
            <ul className="plain">
              {reviews.map((review) => (
                <ReviewItem key={review.version.id} review={review} />
              ))}
            </ul>
          )
        }
      </QueryView>
    </>
  );
}

function PublishedDiff({ review, published }: { review: Review; published: string }) {
  const listing = useQuery({
    queryKey: ['listing', review.listing.id],
    queryFn: () => unwrap(api.GET('/v1/listings/{id}', { params: { path: { id: review.listing.id } } })),
  });
  return (
    <details>
      <summary>Changes from the published version {published}</summary>
      <QueryView query={listing} what="the published version">
        {(data) => {
          const previous = data.versions.find((v) => v.version === published);
          return previous ? (
            <JsonDiff
              before={previous.manifest}
              after={review.version.manifest}
              label={`Manifest changes from ${published} to ${review.version.version}`}
            />
          ) : (
            <p className="muted">The published version could not be read.</p>
          );
        }}
      </QueryView>
    </details>
  );
}

/** The automated checks' results, from the review workflow's own state (a failed check sends a version back to draft). */
function AutomatedChecks({ review }: { review: Review }) {
  const workflow = useQuery({
    queryKey: ['workflow', review.workflowId],
    queryFn: () =>
      unwrap(api.GET('/v1/workflows/{workflowId}', { params: { path: { workflowId: review.workflowId } } })),
    refetchInterval: (query) =>
      (query.state.data?.state as { phase?: string } | undefined)?.phase === 'checking' ? 1500 : false,
  });
  const runtime = review.version.manifest.runtime;
  const checks = [
    'Manifest valid against the manifest schema',
    ...(runtime.kind === 'remote'
      ? [`Endpoint ${runtime.endpoint} resolves to an address Bazaar may call`]
      : []),
    ...(runtime.kind === 'process' ? ['Agent code uploaded before submission (sha256 recorded)'] : []),
  ];
  return (
    <div className="checks-result" data-testid="automated-checks">
      <h3>Automated checks</h3>
      <QueryView query={workflow} what="the checks">
        {(data) => {
          const phase = (data.state as { phase?: string } | undefined)?.phase;
          if (data.status === 'RUNNING' && phase === 'checking')
            return <Loading what="Automated checks running" />;
          if (data.status !== 'RUNNING' || phase !== 'awaiting_review')
            return <p className="muted">The review workflow is {data.status.toLowerCase()}.</p>;
          return (
            <ul className="plain">
              {checks.map((check) => (
                <li key={check}>
                  <span className="ok" aria-hidden="true">
                    ✓
                  </span>{' '}
                  {check} <span className="visually-hidden">(passed)</span>
                </li>
              ))}
            </ul>
          );
        }}
      </QueryView>
    </div>
  );
}

function ReviewItem({ review }: { review: Review }) {
  const client = useQueryClient();
  const notify = useNotify();
  const [reason, setReason] = useState('');
  const { version, listing } = review;
  const decide = useMutation({
    mutationFn: (decision: 'approve' | 'reject') =>
      unwrap(
        api.POST('/v1/reviews/{versionId}/decision', {
          params: { path: { versionId: version.id } },
          body: { decision, ...(reason.trim() ? { reason: reason.trim() } : {}) },
        }),
      ),
    onSuccess: (_, decision) => {
      notify(`${listing.name} ${version.version} ${decision === 'approve' ? 'approved' : 'rejected'}`);
      void client.invalidateQueries({ queryKey: ['reviews'] });
    },
  });
  const reasonId = `reason-${version.id}`;
  return (
    <li className="panel">
      <h2>
        {listing.name} <span className="muted">{version.version}</span>
      </h2>
      <p>{version.manifest.description}</p>
      <p className="muted small">
        {listing.slug} · {listing.category} · {explainPricing(version.manifest.pricing).summary} · submitted{' '}
        {when(version.submittedAt)} (submission {version.submission})
      </p>
      <AutomatedChecks review={review} />
      <details>
        <summary>Manifest</summary>
        <JsonView value={version.manifest} label={`Manifest of ${listing.name} ${version.version}`} />
      </details>
      {listing.latestVersion && <PublishedDiff review={review} published={listing.latestVersion} />}
      <label htmlFor={reasonId}>Reason (needed to reject; shown to the publisher)</label>
      <textarea id={reasonId} rows={2} value={reason} onChange={(event) => setReason(event.target.value)} />
      <div className="row">
        <ConfirmButton
          label={`Approve ${version.version}`}
          question={`Publish ${listing.name} ${version.version} to the catalog?`}
          confirmLabel="Approve"
          onConfirm={() => decide.mutate('approve')}
          disabled={decide.isPending}
        />
        <ConfirmButton
          label={`Reject ${version.version}`}
          question={`Reject ${listing.name} ${version.version}${reason.trim() ? ` because: ${reason.trim()}` : ''}?`}
          confirmLabel="Reject"
          danger
          onConfirm={() => decide.mutate('reject')}
          disabled={decide.isPending || !reason.trim()}
        />
      </div>
      {decide.error && <ErrorNotice error={decide.error} title="The decision was refused" />}
    </li>
  );
}
