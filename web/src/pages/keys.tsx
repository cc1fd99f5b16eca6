// API keys of the organisation: issue one (its token shown once), revoke with confirmation.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api';
import { ConfirmButton } from '../components/confirm';
import { FormPanel, SecretOnce } from '../components/form-panel';
import { useNotify } from '../components/notify';
import { ErrorNotice, QueryView } from '../components/states';
import { when } from '../format';
import type { Me } from '../session';

/** The API keys page (organisation admins). */
export default function KeysPage({ me }: { me: Me }) {
  const orgId = me.orgId!;
  const client = useQueryClient();
  const notify = useNotify();
  const [name, setName] = useState('');
  const [role, setRole] = useState<'admin' | 'member'>('member');
  const [issued, setIssued] = useState<Schemas['IssuedKey'] | null>(null);
  const keys = useQuery({
    queryKey: ['keys', orgId],
    queryFn: () => unwrap(api.GET('/v1/orgs/{orgId}/keys', { params: { path: { orgId } } })),
  });
  const issue = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/v1/orgs/{orgId}/keys', { params: { path: { orgId } }, body: { name: name.trim(), role } }),
      ),
    onSuccess: (created) => {
      setIssued(created);
      setName('');
      notify(`Key ${created.key.name} issued: copy it now, it is shown once`);
      void client.invalidateQueries({ queryKey: ['keys', orgId] });
    },
  });
  const revoke = useMutation({
    mutationFn: (keyId: string) => unwrap(api.DELETE('/v1/keys/{keyId}', { params: { path: { keyId } } })),
    onSuccess: () => {
      notify('Key revoked: its requests and console sessions stop now');
      void client.invalidateQueries({ queryKey: ['keys', orgId] });
    },
  });
  return (
    <>
      <h1 tabIndex={-1}>API keys</h1>
      <QueryView query={keys} what="keys">
        {({ keys: list }) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((key) => (
                  <tr key={key.id}>
                    <td>
                      {key.name} <span className="muted small">{key.id}</span>
                      {key.id === me.keyId && <span className="badge"> this session</span>}
                    </td>
                    <td>{key.role}</td>
                    <td>{when(key.createdAt)}</td>
                    <td>{key.revokedAt ? `revoked ${when(key.revokedAt)}` : 'active'}</td>
                    <td>
                      {!key.revokedAt && (
                        <ConfirmButton
                          label={`Revoke ${key.name}`}
                          question={`Revoke ${key.name}? Programs using it stop working at once${key.id === me.keyId ? ', and this console session ends' : ''}.`}
                          confirmLabel="Revoke"
                          danger
                          onConfirm={() => revoke.mutate(key.id)}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      {revoke.error && <ErrorNotice error={revoke.error} title="Could not revoke" />}
      <FormPanel
        id="issue"
        title="Issue a key"
        submitLabel="Issue key"
        mutation={issue}
        errorTitle="Could not issue"
        after={
          issued && (
            <SecretOnce
              what={
                <>
                  The token of <strong>{issued.key.name}</strong>
                </>
              }
              value={issued.token}
              onDone={() => setIssued(null)}
            />
          )
        }
      >
        <label htmlFor="key-name">Name</label>
        <input id="key-name" required value={name} onChange={(event) => setName(event.target.value)} />
        <label htmlFor="key-role">Role</label>
        <select id="key-role" value={role} onChange={(event) => setRole(event.target.value as 'admin')}>
          <option value="member">member</option>
          <option value="admin">admin</option>
        </select>
      </FormPanel>
    </>
  );
}
