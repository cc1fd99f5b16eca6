// Credentials: names and metadata only; set, replace and delete — a value is never shown.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api';
import { ConfirmButton } from '../components/confirm';
import { FormPanel } from '../components/form-panel';
import { useNotify } from '../components/notify';
import { Empty, ErrorNotice, QueryView } from '../components/states';
import { when } from '../format';

/** The credentials page (organisation admins). */
export default function CredentialsPage() {
  const client = useQueryClient();
  const notify = useNotify();
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const credentials = useQuery({
    queryKey: ['credentials'],
    queryFn: () => unwrap(api.GET('/v1/credentials')),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['credentials'] });
  const store = useMutation({
    mutationFn: (input: { name: string; value: string }) =>
      unwrap(
        api.PUT('/v1/credentials/{name}', {
          params: { path: { name: input.name } },
          body: { value: input.value },
        }),
      ),
    onSuccess: (_, input) => {
      notify(`Credential ${input.name} stored`);
      setName('');
      setValue('');
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (credential: string) =>
      unwrap(api.DELETE('/v1/credentials/{name}', { params: { path: { name: credential } } })),
    onSuccess: (_, credential) => {
      notify(`Credential ${credential} deleted`);
      void refresh();
    },
  });
  return (
    <>
      <h1 tabIndex={-1}>Credentials</h1>
      <p className="muted">
        Values are write-only: stored encrypted, given only to the agents that declare them.
      </p>
      <QueryView query={credentials} what="credentials">
        {({ credentials: list }) =>
          list.length === 0 ? (
            <Empty>No credentials yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Version</th>
                    <th scope="col">Used by</th>
                    <th scope="col">Updated</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((c) => (
                    <tr key={c.name}>
                      <td>
                        <code>{c.name}</code>
                      </td>
                      <td>{c.version}</td>
                      <td>{c.usedBy.length ? c.usedBy.join(', ') : '—'}</td>
                      <td>{when(c.updatedAt)}</td>
                      <td className="actions">
                        <button
                          type="button"
                          onClick={() => {
                            // The form is further down: take the person to the value to type.
                            setName(c.name);
                            document.getElementById('cred-value')?.focus();
                          }}
                        >
                          Replace<span className="visually-hidden"> {c.name}</span>
                        </button>
                        <ConfirmButton
                          label={`Delete ${c.name}`}
                          question={`Delete ${c.name} and every earlier value?${c.usedBy.length ? ` Installations using it (${c.usedBy.length}) keep running, but new installs will need it.` : ''}`}
                          confirmLabel="Delete"
                          danger
                          onConfirm={() => remove.mutate(c.name)}
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      {remove.error && <ErrorNotice error={remove.error} title="Could not delete" />}
      <FormPanel
        id="set"
        title="Set or replace a credential"
        submitLabel="Store"
        mutation={{ ...store, mutate: () => store.mutate({ name: name.trim(), value }) }}
        errorTitle="Could not store"
      >
        <label htmlFor="cred-name">Name</label>
        <input
          id="cred-name"
          required
          pattern="[A-Z][A-Z0-9_]*"
          title="Upper-case letters, digits and underscores, starting with a letter"
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <label htmlFor="cred-value">Value</label>
        <input
          id="cred-value"
          type="password"
          autoComplete="off"
          required
          value={value}
          onChange={(event) => setValue(event.target.value)}
        />
      </FormPanel>
    </>
  );
}
