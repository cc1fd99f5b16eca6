// Platform admin: organisations — create (its first admin key shown once), suspend with a reason, reinstate.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api';
import { ConfirmButton } from '../components/confirm';
import { FormPanel, SecretOnce } from '../components/form-panel';
import { IssueKeyPanel } from '../components/issue-key';
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
      <FormPanel
        id="new-org"
        title="Create an organisation"
        submitLabel="Create"
        mutation={create}
        errorTitle="Could not create"
        after={
          created && (
            <SecretOnce
              what={
                <>
                  The first admin key of <strong>{created.org.name}</strong>
                </>
              }
              value={created.apiKey.token}
              onDone={() => setCreated(null)}
            />
          )
        }
      >
        <label htmlFor="org-name">Name</label>
        <input id="org-name" required value={name} onChange={(event) => setName(event.target.value)} />
      </FormPanel>
      <PlatformKeys />
    </>
  );
}

function PlatformKeys() {
  const notify = useNotify();
  return (
    <IssueKeyPanel
      id="platform-keys"
      title="Issue a platform key"
      roles={['reviewer', 'platform-admin']}
      issue={(body) => unwrap(api.POST('/v1/platform/keys', { body }))}
      onIssued={(created) => notify(`Platform key ${created.key.name} (${created.key.role}) issued`)}
    />
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
