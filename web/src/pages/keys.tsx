// API keys of the organisation: issue one (its token shown once), revoke with confirmation.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api';
import { ConfirmButton } from '../components/confirm';
import { IssueKeyPanel } from '../components/issue-key';
import { useNotify } from '../components/notify';
import { ErrorNotice, QueryView } from '../components/states';
import { when } from '../format';
import type { Me } from '../session';

/** The API keys page (organisation admins). */
export default function KeysPage({ me }: { me: Me }) {
  const orgId = me.orgId!;
  const client = useQueryClient();
  const notify = useNotify();
  const keys = useQuery({
    queryKey: ['keys', orgId],
    queryFn: () => unwrap(api.GET('/v1/orgs/{orgId}/keys', { params: { path: { orgId } } })),
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
      <IssueKeyPanel
        id="issue"
        title="Issue a key"
        roles={['member', 'admin']}
        issue={(body) => unwrap(api.POST('/v1/orgs/{orgId}/keys', { params: { path: { orgId } }, body }))}
        onIssued={(created) => {
          notify(`Key ${created.key.name} issued: copy it now, it is shown once`);
          void client.invalidateQueries({ queryKey: ['keys', orgId] });
        }}
      />
    </>
  );
}
