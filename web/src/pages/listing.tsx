// A listing: what it does, its versions with changelogs, pricing with a worked example, what it needs
// (credentials, tools, network egress), stats, ratings with reviews (rate, reply, hide); and, for an
// organisation admin, installing it (missing credentials stored on the spot, optional budget).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../api';
import { Markdown } from '../components/markdown';
import { useNotify } from '../components/notify';
import { RatingsSection } from '../components/ratings';
import { ErrorNotice, Loading, QueryView } from '../components/states';
import { explainPricing, when } from '../format';
import { isOrgAdmin, type Me } from '../session';

type Version = Schemas['Version'];
type ListingWithVersions = Schemas['ListingWithVersions'];

/** The listing page. */
export default function ListingPage({ me }: { me: Me }) {
  const { slug = '' } = useParams();
  const listing = useQuery({
    queryKey: ['listing', slug],
    queryFn: () => unwrap(api.GET('/v1/listings/{id}', { params: { path: { id: slug } } })),
  });
  return (
    <QueryView query={listing} what="the listing" back={{ to: '/', label: '← Back to the catalog' }}>
      {(data) => <Listing listing={data} me={me} />}
    </QueryView>
  );
}

/** The listing's stats as a person reads them: a label and a formatted value each. */
function statLines(stats: ListingWithVersions['stats']): Array<[string, string]> {
  const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 100)} %`);
  return [
    [
      'Rating',
      stats.ratingAverage === null
        ? 'no ratings yet'
        : `${stats.ratingAverage.toFixed(1)} of 5 (${stats.ratingCount} ratings)`,
    ],
    ['Installations', `${stats.activeInstallations} active of ${stats.installations}`],
    ['Runs, last 30 days', String(stats.executions30d)],
    ['Succeeded, last 30 days', percent(stats.successRate30d)],
    ['Typical run (p50)', stats.p50DurationMs30d === null ? '—' : `${stats.p50DurationMs30d} ms`],
  ];
}

function Listing({ listing, me }: { listing: ListingWithVersions; me: Me }) {
  const shown = listing.versions.filter((v) => v.status === 'published' || v.status === 'deprecated');
  const latest = listing.versions.find((v) => v.version === listing.latestVersion) ?? shown[0];
  const { stats } = listing;
  if (!latest) {
    return (
      <>
        <h1 tabIndex={-1}>{listing.name}</h1>
        <p>No published version yet.</p>
      </>
    );
  }
  const m = latest.manifest;
  const pricing = explainPricing(m.pricing);
  return (
    <article className="listing">
      <header>
        <h1 tabIndex={-1}>{listing.name}</h1>
        <p className="lead">{m.description}</p>
        <p data-testid="publisher">
          by <strong>{listing.publisher.name}</strong>
        </p>
        <p className="muted small">
          {listing.category} · version {latest.version} · published {when(latest.publishedAt)}
          {listing.tags.length > 0 && ` · ${listing.tags.join(', ')}`}
        </p>
      </header>
      <div className="columns">
        <div>
          {m.longDescription && (
            <section aria-labelledby="about">
              <h2 id="about">About</h2>
              <Markdown text={m.longDescription} />
            </section>
          )}
          <section aria-labelledby="needs">
            <h2 id="needs">What it needs</h2>
            <h3>Credentials</h3>
            {m.requiredCredentials.length === 0 ? (
              <p>None.</p>
            ) : (
              <ul>
                {m.requiredCredentials.map((c) => (
                  <li key={c.name}>
                    <code>{c.name}</code> {c.description && `— ${c.description}`}
                  </li>
                ))}
              </ul>
            )}
            <h3>Tools</h3>
            {listing.tools.length === 0 ? (
              <p>None.</p>
            ) : (
              <ul aria-label="Tools it calls through the gateway">
                {listing.tools.map((tool) => (
                  <li key={tool.name}>
                    <code>{tool.name}</code> ({tool.kind === 'llm' ? 'language model' : 'HTTP API'}) —{' '}
                    {tool.description}
                    {tool.models && tool.models.length > 0 && ` · models: ${tool.models.join(', ')}`}
                    <span className="muted small">
                      {' '}
                      · uses your {tool.credentialName}, never shown to the agent
                    </span>
                  </li>
                ))}
              </ul>
            )}
            <h3>Network egress</h3>
            {m.network.egress.length === 0 ? (
              <p>No network access.</p>
            ) : (
              <ul>
                {m.network.egress.map((rule, index) => (
                  <li key={index}>
                    {rule.cidr} ports {rule.ports.join(', ')} ({rule.protocol})
                  </li>
                ))}
              </ul>
            )}
            <h3>Resources</h3>
            <p>
              {m.resources.cpu} CPU, {m.resources.memory} memory, up to {m.resources.timeoutSeconds} s per
              run; runs as{' '}
              {m.runtime.kind === 'remote' ? 'a publisher-hosted endpoint' : `a ${m.runtime.kind}`}.
            </p>
          </section>
          <section aria-labelledby="versions">
            <h2 id="versions">Versions</h2>
            <ol className="versions">
              {shown.map((v) => (
                <li key={v.id}>
                  <strong>{v.version}</strong> <span className={`badge ${v.status}`}>{v.status}</span>{' '}
                  <span className="muted small">{when(v.publishedAt)}</span>
                  {v.manifest.changelog ? (
                    <Markdown text={v.manifest.changelog} />
                  ) : (
                    <p className="muted">No changelog.</p>
                  )}
                </li>
              ))}
            </ol>
          </section>
          <RatingsSection listing={listing} me={me} />
        </div>
        <aside>
          <section aria-labelledby="pricing" className="panel">
            <h2 id="pricing">Pricing</h2>
            <p>{pricing.summary}</p>
            {pricing.example && (
              <p className="example" data-testid="pricing-example">
                {pricing.example}
              </p>
            )}
          </section>
          <section aria-labelledby="ratings" className="panel" data-testid="ratings">
            <h2 id="ratings">Ratings and use</h2>
            <dl className="stats">
              {statLines(stats).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>{value}</dd>
                </div>
              ))}
            </dl>
          </section>
          {isOrgAdmin(me) && <InstallPanel listing={listing} version={latest} />}
          {me.kind === 'org' && !isOrgAdmin(me) && (
            <p className="muted small">An admin of your organisation can install this agent.</p>
          )}
        </aside>
      </div>
    </article>
  );
}

function InstallPanel({ listing, version }: { listing: ListingWithVersions; version: Version }) {
  const client = useQueryClient();
  const notify = useNotify();
  const navigate = useNavigate();
  const [values, setValues] = useState<Record<string, string>>({});
  const [budget, setBudget] = useState('');
  const credentials = useQuery({
    queryKey: ['credentials'],
    queryFn: () => unwrap(api.GET('/v1/credentials')),
  });
  const stored = new Set(credentials.data?.credentials.map((c) => c.name));
  const missing = version.manifest.requiredCredentials.filter((c) => !stored.has(c.name));

  const save = useMutation({
    mutationFn: async (name: string) => {
      await unwrap(
        api.PUT('/v1/credentials/{name}', {
          params: { path: { name } },
          body: { value: values[name] ?? '' },
        }),
      );
      return name;
    },
    onSuccess: (name) => {
      setValues((current) => ({ ...current, [name]: '' }));
      notify(`Credential ${name} stored (write-only: it will not be shown again)`);
      void client.invalidateQueries({ queryKey: ['credentials'] });
    },
  });
  const install = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/installations', {
          body: {
            listing: listing.id,
            version: version.version,
            ...(budget ? { monthlyBudget: Number(budget) } : {}),
          },
        }),
      ),
    onSuccess: ({ installationId }) => {
      notify(`Installing ${listing.name} ${version.version}…`);
      void client.invalidateQueries({ queryKey: ['installations'] });
      void navigate(`/installations/${installationId}`);
    },
  });

  return (
    <section aria-labelledby="install" className="panel">
      <h2 id="install">Install</h2>
      {credentials.isPending && <Loading what="Checking your credentials" />}
      {credentials.error && <ErrorNotice error={credentials.error} />}
      {credentials.data && missing.length > 0 && (
        <div>
          <p>
            Missing {missing.length === 1 ? 'credential' : 'credentials'}:{' '}
            {missing.map((c) => c.name).join(', ')}. Store {missing.length === 1 ? 'it' : 'them'} here; values
            are write-only.
          </p>
          {missing.map((c) => (
            <form
              key={c.name}
              className="inline"
              onSubmit={(event) => {
                event.preventDefault();
                save.mutate(c.name);
              }}
            >
              <label htmlFor={`cred-${c.name}`}>
                <code>{c.name}</code>{' '}
                {c.description && <span className="muted small">({c.description})</span>}
              </label>
              <input
                id={`cred-${c.name}`}
                type="password"
                autoComplete="off"
                required
                value={values[c.name] ?? ''}
                onChange={(event) => setValues((current) => ({ ...current, [c.name]: event.target.value }))}
              />
              <button type="submit" disabled={save.isPending}>
                Store {c.name}
              </button>
            </form>
          ))}
          {save.error && <ErrorNotice error={save.error} title="Could not store the credential" />}
        </div>
      )}
      {credentials.data && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            install.mutate();
          }}
        >
          <label htmlFor="budget">
            Monthly budget ({version.manifest.pricing.currency.toUpperCase()}, optional)
          </label>
          <input
            id="budget"
            type="number"
            min="0"
            step="0.01"
            inputMode="decimal"
            value={budget}
            onChange={(event) => setBudget(event.target.value)}
          />
          <button type="submit" className="primary" disabled={install.isPending || missing.length > 0}>
            Install {version.version}
          </button>
          {missing.length > 0 && <p className="muted small">Store the missing credentials first.</p>}
        </form>
      )}
      {install.error && <ErrorNotice error={install.error} title="Could not install" />}
    </section>
  );
}
