// Issuing an API key, the same for an organisation's keys and the platform's: a name and a role, and
// the token shown once.
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { Schemas } from '../api';
import { FormPanel, SecretOnce } from './form-panel';

/** A panel that issues a key with a name and one of `roles` (the first is the default). */
export function IssueKeyPanel<Role extends string>({
  id,
  title,
  roles,
  issue,
  onIssued,
}: {
  id: string;
  title: string;
  roles: readonly [Role, ...Role[]];
  issue: (input: { name: string; role: Role }) => Promise<Schemas['IssuedKey']>;
  onIssued: (issued: Schemas['IssuedKey']) => void;
}) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(roles[0]);
  const [issued, setIssued] = useState<Schemas['IssuedKey'] | null>(null);
  const mutation = useMutation({
    mutationFn: () => issue({ name: name.trim(), role }),
    onSuccess: (created) => {
      setIssued(created);
      setName('');
      onIssued(created);
    },
  });
  return (
    <FormPanel
      id={id}
      title={title}
      submitLabel="Issue key"
      mutation={mutation}
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
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} required value={name} onChange={(event) => setName(event.target.value)} />
      <label htmlFor={`${id}-role`}>Role</label>
      <select id={`${id}-role`} value={role} onChange={(event) => setRole(event.target.value as Role)}>
        {roles.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </FormPanel>
  );
}
