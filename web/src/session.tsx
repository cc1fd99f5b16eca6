// Who is signed in: GET /v1/me with the session cookie. The API key is pasted once, exchanged for an
// HttpOnly cookie by POST /v1/sessions and then forgotten; only the CSRF token stays, in memory.
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, isStatus, setCsrfToken, unwrap, type Schemas } from './api';

/** The signed-in caller. */
export type Me = Schemas['Caller'];

/** The current caller, or null when nobody is signed in. */
export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: async (): Promise<Me | null> => {
      try {
        const me = await unwrap(api.GET('/v1/me'));
        setCsrfToken(me.session?.csrfToken ?? null);
        return me;
      } catch (error) {
        if (isStatus(error, 401)) {
          setCsrfToken(null);
          return null;
        }
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

// Another person's data must not linger in the cache; 'me' stays observed and is set by the caller.
function forgetAllBut(client: QueryClient, key: string) {
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== key });
}

/** Signs in with an API key (exchanged for the session cookie; the key is not kept). */
export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (apiKey: string) => unwrap(api.POST('/v1/sessions', { body: { apiKey } })),
    onSuccess: ({ principal }) => {
      setCsrfToken(principal.session?.csrfToken ?? null);
      forgetAllBut(client, 'me');
      client.setQueryData(['me'], principal);
    },
  });
}

/** Signs out: ends the session on the server and forgets everything cached. */
export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/v1/sessions/current')),
    onSettled: () => {
      setCsrfToken(null);
      forgetAllBut(client, 'me');
      client.setQueryData(['me'], null);
    },
  });
}

/** True for an organisation admin. */
export const isOrgAdmin = (me: Me) => me.kind === 'org' && me.role === 'admin';
/** True for a reviewer or platform admin. */
export const canReview = (me: Me) => me.role === 'reviewer' || me.role === 'platform-admin';
