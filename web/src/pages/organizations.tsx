// Platform admin: organisations — create (its first admin key shown once), suspend with a reason, reinstate.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api';
import { ConfirmButton } from '../components/confirm';
import { useNotify } from '../components/notify';
import { Empty, ErrorNotice, QueryView } from '../components/states';
import { when } from '../format';

/** The organisations page (platform admins). */
export default function OrganizationsPage() {
  const client = useQueryClient();
  const notify = useNotify();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{
    org: Schemas['Organization'];
    apiKey: Schemas['IssuedKey'];
  } | null>(null);
  const orgs = useQuery({ queryKey: ['orgs'], queryFn: () => unwrap(api.GET('/v1/orgs')) });
  const refresh = () => client.invalidateQueries({ queryKey: ['orgs'] });
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/orgs', { body: { name: name.trim() } })),
    onSuccess: (result) => {
      setCreated(result);
      setName('');
      notify(`Organisation ${result.org.name} created`);
      void refresh();
    },
  });
  const setStatus = useMutation({
    mutationFn: async (input: { orgId: string; reason?: string }) =>
      input.reason
        ? unwrap(
            api.POST('/v1/orgs/{orgId}/suspend', {
              params: { path: { orgId: input.orgId } },
              body: { reason: input.reason },
            }),
          )
        : unwrap(api.POST('/v1/orgs/{orgId}/reinstate', { params: { path: { orgId: input.orgId } } })),
    onSuccess: (org) => {
      notify(`${org.name} is now ${org.status}`);
      void refresh();
    },
  });
  return (
    <>
      <h1 tabIndex={-1}>Organisations</h1>
      <QueryView query={orgs} what="organisations">
        {({ organizations }) =>
          organizations.length === 0 ? (
            <Empty>No organisations yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {organizations.map((org) => (
                    <tr key={org.id}>
                      <td>
                        {org.name} <span className="muted small">{org.id}</span>
                      </td>
                      <td>
                        <span className={`badge ${org.status}`}>{org.status}</span>
                        {org.statusReason && <div className="small">{org.statusReason}</div>}
                      </td>
                      <td>{when(org.createdAt)}</td>
                      <td>
                        {org.status === 'active' ? (
                          <SuspendButton
                            name={org.name}
                            onSuspend={(reason) => setStatus.mutate({ orgId: org.id, reason })}
                          />
                        ) : (
                          <ConfirmButton
                            label={`Reinstate ${org.name}`}
                            question={`Reinstate ${org.name}? It can install and run agents again.`}
                            confirmLabel="Reinstate"
                            onConfirm={() => setStatus.mutate({ orgId: org.id })}
                          />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      {setStatus.error && <ErrorNotice error={setStatus.error} title="Could not change the status" />}
      <section aria-labelledby="new-org" className="panel">
        <h2 id="new-org">Create an organisation</h2>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate();
          }}
        >
          <label htmlFor="org-name">Name</label>
          <input id="org-name" required value={name} onChange={(event) => setName(event.target.value)} />
          <button type="submit" className="primary" disabled={create.isPending}>
            Create
          </button>
        </form>
        {create.error && <ErrorNotice error={create.error} title="Could not create" />}
        {created && (
          <div className="notice" role="alert">
            <p>
              The first admin key of <strong>{created.org.name}</strong>, shown this once:
            </p>
            <pre className="json" tabIndex={0}>
              {created.apiKey.token}
            </pre>
            <button type="button" onClick={() => setCreated(null)}>
              I have copied it
            </button>
          </div>
        )}
      </section>
      <PlatformKeys />
    </>
  );
}

function PlatformKeys() {
  const notify = useNotify();
  const [name, setName] = useState('');
  const [role, setRole] = useState<'reviewer' | 'platform-admin'>('reviewer');
  const [issued, setIssued] = useState<Schemas['IssuedKey'] | null>(null);
  const issue = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/platform/keys', { body: { name: name.trim(), role } })),
    onSuccess: (created) => {
      setIssued(created);
      setName('');
      notify(`Platform key ${created.key.name} (${created.key.role}) issued`);
    },
  });
  return (
    <section aria-labelledby="platform-keys" className="panel">
      <h2 id="platform-keys">Issue a platform key</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          issue.mutate();
        }}
      >
        <label htmlFor="platform-key-name">Name</label>
        <input
          id="platform-key-name"
          required
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <label htmlFor="platform-key-role">Role</label>
        <select
          id="platform-key-role"
          value={role}
          onChange={(event) => setRole(event.target.value as 'reviewer')}
        >
          <option value="reviewer">reviewer</option>
          <option value="platform-admin">platform-admin</option>
        </select>
        <button type="submit" className="primary" disabled={issue.isPending}>
          Issue key
        </button>
      </form>
      {issue.error && <ErrorNotice error={issue.error} title="Could not issue" />}
      {issued && (
        <div className="notice" role="alert">
          <p>
            The token of <strong>{issued.key.name}</strong>, shown this once:
          </p>
          <pre className="json" tabIndex={0}>
            {issued.token}
          </pre>
          <button type="button" onClick={() => setIssued(null)}>
            I have copied it
          </button>
        </div>
      )}
    </section>
  );
}

function SuspendButton({ name, onSuspend }: { name: string; onSuspend: (reason: string) => void }) {
  const [reason, setReason] = useState('');
  const id = `suspend-${name}`;
  return (
    <ConfirmButton
      label={`Suspend ${name}`}
      question={`Suspend ${name}? It keeps reading its data but can neither install nor run agents.`}
      confirmLabel="Suspend"
      danger
      onConfirm={() => onSuspend(reason.trim() || 'suspended by a platform admin')}
    >
      <label htmlFor={id}>Reason</label>
      <input id={id} required value={reason} onChange={(event) => setReason(event.target.value)} />
    </ConfirmButton>
  );
}
