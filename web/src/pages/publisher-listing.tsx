// One of the publisher's listings: its versions with their review status (followed live while in
// review), a new version from a manifest checked against the API's schema, the agent's code uploaded
// by file picker or drag and drop, and submitting for review.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../api';
import { ConfirmButton } from '../components/confirm';
import { ManifestEditor, useManifestProblems } from '../components/manifest-editor';
import { useNotify } from '../components/notify';
import { ErrorNotice, Loading, QueryView } from '../components/states';
import { when } from '../format';

type Version = Schemas['Version'];

const RunsChart = lazy(() => import('../components/runs-chart'));

const template = {
  version: '1.0.0',
  description: 'What the agent does, in one sentence',
  longDescription: '## How it works\n\nMarkdown, shown on the listing page.',
  changelog: 'First version.',
  pricing: { model: 'usage_based', pricePerInvocation: 0.02, currency: 'usd' },
  requiredCredentials: [],
  inputSchema: {
    type: 'object',
    properties: { text: { type: 'string', title: 'Text' } },
    required: ['text'],
  },
  runtime: { kind: 'process', command: ['node', 'main.js'] },
};

/** The publisher's listing page. */
export default function PublisherListingPage() {
  const { id = '' } = useParams();
  const listing = useQuery({
    queryKey: ['listing', id],
    queryFn: () => unwrap(api.GET('/v1/listings/{id}', { params: { path: { id } } })),
    refetchInterval: (query) =>
      query.state.data?.versions.some((v) => v.status === 'in_review') ? 1500 : false,
  });
  return (
    <QueryView query={listing} what="the listing" back={{ to: '/publisher', label: '← My listings' }}>
      {(data) => (
        <>
          <h1 tabIndex={-1}>{data.name}</h1>
          <p className="muted">
            {data.slug} · {data.visibility} ·{' '}
            {data.latestVersion ? (
              <Link to={`/listings/${data.slug}`}>see it as consumers do</Link>
            ) : (
              'not published yet'
            )}
          </p>
          <section aria-labelledby="versions">
            <h2 id="versions">Versions</h2>
            {data.versions.length === 0 ? (
              <p>No versions yet.</p>
            ) : (
              <ul className="plain">
                {data.versions.map((version) => (
                  <VersionRow key={version.id} listingId={data.id} version={version} />
                ))}
              </ul>
            )}
          </section>
          {data.latestVersion && <ListingUsage listingId={data.id} />}
          <NewVersion listingId={data.id} />
        </>
      )}
    </QueryView>
  );
}

/** How consumers use the listing: runs per day over the last 30 days, every consumer counted. */
function ListingUsage({ listingId }: { listingId: string }) {
  const usage = useQuery({
    queryKey: ['listing-usage', listingId],
    queryFn: () =>
      unwrap(
        api.GET('/v1/listings/{id}/usage', { params: { path: { id: listingId }, query: { days: 30 } } }),
      ),
  });
  return (
    <section aria-labelledby="listing-usage" data-testid="listing-usage">
      <h2 id="listing-usage">Use, last 30 days</h2>
      <QueryView query={usage} what="the usage">
        {({ days }) => {
          const runs = days.reduce((sum, d) => sum + d.executions, 0);
          const succeeded = days.reduce((sum, d) => sum + d.succeeded, 0);
          return runs === 0 ? (
            <p className="muted">No runs in the last 30 days.</p>
          ) : (
            <>
              <p>
                {runs} {runs === 1 ? 'run' : 'runs'}, {succeeded} succeeded (
                {Math.round((succeeded / runs) * 100)} %).
              </p>
              <Suspense fallback={<Loading what="Drawing the chart" />}>
                <RunsChart days={days} caption="Runs per day (UTC), every consumer" />
              </Suspense>
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

function VersionRow({ listingId, version }: { listingId: string; version: Version }) {
  const client = useQueryClient();
  const notify = useNotify();
  const refresh = () => client.invalidateQueries({ queryKey: ['listing', listingId] });
  const submit = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/listings/{id}/versions/{version}/submit', {
          params: { path: { id: listingId, version: version.version } },
        }),
      ),
    onSuccess: () => {
      notify(`Version ${version.version} submitted for review`);
      void refresh();
    },
  });
  const deprecate = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/listings/{id}/versions/{version}/deprecate', {
          params: { path: { id: listingId, version: version.version } },
          body: {},
        }),
      ),
    onSuccess: ({ impact }) => {
      notify(
        `Version ${version.version} deprecated; ${impact.pinnedInstallations} ${impact.pinnedInstallations === 1 ? 'installation runs' : 'installations run'} it still`,
      );
      void refresh();
    },
  });
  const yank = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/listings/{id}/versions/{version}/yank', {
          params: { path: { id: listingId, version: version.version } },
          body: {},
        }),
      ),
    onSuccess: () => {
      notify(`Version ${version.version} yanked: it is no longer installable or in search`);
      void refresh();
    },
  });
  const needsCode = version.manifest.runtime.kind === 'process';
  return (
    <li className="panel" data-testid={`version-${version.version}`}>
      <p>
        <strong>{version.version}</strong>{' '}
        <span className={`badge ${version.status}`} aria-live="polite">
          {version.status.replace('_', ' ')}
        </span>{' '}
        <span className="muted small">created {when(version.createdAt)}</span>
      </p>
      {version.statusReason && <p className="notice">{version.statusReason}</p>}
      {version.status === 'in_review' && (
        <p className="muted small">Waiting for a reviewer; this updates by itself.</p>
      )}
      {version.status === 'draft' && (
        <>
          {needsCode && (
            <ArtifactUpload listingId={listingId} version={version.version} onUploaded={refresh} />
          )}
          <ConfirmButton
            label={`Submit ${version.version} for review`}
            question={`Submit ${version.version}? Its manifest${needsCode ? ' and code' : ''} can no longer change.`}
            confirmLabel="Submit"
            onConfirm={() => submit.mutate()}
          />
          {submit.error && <ErrorNotice error={submit.error} title="Could not submit" />}
        </>
      )}
      <div className="row">
        {version.status === 'published' && (
          <ConfirmButton
            label={`Deprecate ${version.version}`}
            question={`Deprecate ${version.version}? Installations keep running it, but nobody can install it any more.`}
            confirmLabel="Deprecate"
            danger
            onConfirm={() => deprecate.mutate()}
          >
            <VersionImpact listingId={listingId} version={version.version} />
          </ConfirmButton>
        )}
        {(version.status === 'published' || version.status === 'deprecated') && (
          <ConfirmButton
            label={`Yank ${version.version}`}
            question={`Withdraw ${version.version}? It leaves search and cannot be installed; a publisher may yank it only while no installation runs it.`}
            confirmLabel="Yank"
            danger
            onConfirm={() => yank.mutate()}
          >
            <VersionImpact listingId={listingId} version={version.version} />
          </ConfirmButton>
        )}
      </div>
      {deprecate.error && <ErrorNotice error={deprecate.error} title="Could not deprecate" />}
      {yank.error && <ErrorNotice error={yank.error} title="Could not yank" />}
      <details>
        <summary>Manifest</summary>
        <pre className="json" tabIndex={0}>
          {JSON.stringify(version.manifest, null, 2)}
        </pre>
      </details>
    </li>
  );
}

const riskWords = { low: 'low risk', medium: 'medium risk', high: 'high risk' } as const;

/** What retiring a version touches, read before the publisher confirms: pinned installations, where they can go. */
function VersionImpact({ listingId, version }: { listingId: string; version: string }) {
  const impact = useQuery({
    queryKey: ['impact', listingId, version],
    queryFn: () =>
      unwrap(
        api.GET('/v1/listings/{id}/versions/{version}/impact', {
          params: { path: { id: listingId, version } },
        }),
      ),
  });
  return (
    <div className="impact" data-testid="version-impact">
      <h3>Impact</h3>
      <QueryView query={impact} what="the impact">
        {(data) => (
          <>
            <p>
              <strong>
                {data.pinnedInstallations}{' '}
                {data.pinnedInstallations === 1 ? 'installation runs' : 'installations run'} {version}
              </strong>{' '}
              ({data.activeInstallations} active).
            </p>
            {data.moveTo.length === 0 ? (
              <p>No other published version to move to.</p>
            ) : (
              <>
                <p>They could move to:</p>
                <ul>
                  {data.moveTo.map((target) => (
                    <li key={target.version}>
                      {target.version}{' '}
                      <span className={`badge risk-${target.risk}`}>{riskWords[target.risk]}</span>
                      {target.reasons.length > 0 && (
                        <span className="small"> — {target.reasons.join('; ')}</span>
                      )}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
      </QueryView>
    </div>
  );
}

function ArtifactUpload({
  listingId,
  version,
  onUploaded,
}: {
  listingId: string;
  version: string;
  onUploaded: () => void;
}) {
  const notify = useNotify();
  const [dragging, setDragging] = useState(false);
  const upload = useMutation({
    mutationFn: (file: File) =>
      unwrap(
        api.PUT('/v1/listings/{id}/versions/{version}/artifact', {
          params: { path: { id: listingId, version } },
          body: file as unknown as string,
          bodySerializer: (body: unknown) => body as BodyInit,
          headers: { 'content-type': 'application/gzip' },
        }),
      ),
    onSuccess: (result, file) => {
      const sha = (result as { sha256?: string }).sha256;
      notify(`Code uploaded (${file.name}${sha ? `, sha256 ${sha.slice(0, 12)}…` : ''})`);
      onUploaded();
    },
  });
  const take = (files: FileList | null) => {
    const file = files?.[0];
    if (file) upload.mutate(file);
  };
  const inputId = `artifact-${version}`;
  return (
    <div
      className={`dropzone${dragging ? ' dragging' : ''}`}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        take(event.dataTransfer.files);
      }}
      data-testid="dropzone"
    >
      <label htmlFor={inputId}>Agent code (.tar.gz): choose a file or drop it here</label>
      <input
        id={inputId}
        type="file"
        accept=".tar.gz,.tgz,application/gzip"
        onChange={(event) => take(event.target.files)}
      />
      {upload.isPending && <p className="muted">Uploading…</p>}
      {upload.isSuccess && <p className="ok">Uploaded.</p>}
      {upload.error && <ErrorNotice error={upload.error} title="Upload refused" />}
    </div>
  );
}

function NewVersion({ listingId }: { listingId: string }) {
  const client = useQueryClient();
  const notify = useNotify();
  const [text, setText] = useState(JSON.stringify(template, null, 2));
  const { problems } = useManifestProblems(text);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/listings/{id}/versions', {
          params: { path: { id: listingId } },
          body: JSON.parse(text),
        }),
      ),
    onSuccess: (version) => {
      notify(`Draft ${version.version} created`);
      void client.invalidateQueries({ queryKey: ['listing', listingId] });
    },
  });
  return (
    <section aria-labelledby="new-version" className="panel">
      <h2 id="new-version">Add a version</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <ManifestEditor value={text} onChange={setText} />
        <button type="submit" className="primary" disabled={create.isPending || problems.length > 0}>
          Create draft version
        </button>
      </form>
      {create.error && <ErrorNotice error={create.error} title="The API refused the manifest" />}
    </section>
  );
}
