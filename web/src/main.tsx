// The console's entry: React, TanStack Query (fetching and caching), the router and the app shell.
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { isStatus } from './api';
import { App } from './app';
import './styles.css';

// A session that ended meanwhile (expired, signed out elsewhere, key revoked) answers 401: back to
// the sign-in page, instead of an error on every panel.
const signedOut = (error: unknown) => {
  if (isStatus(error, 401)) queryClient.setQueryData(['me'], null);
};

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError: signedOut }),
  mutationCache: new MutationCache({ onError: signedOut }),
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again; a network hiccup might.
      retry: (count, error) =>
        count < 2 &&
        !(isStatus(error, 400) || isStatus(error, 401) || isStatus(error, 403) || isStatus(error, 404)),
      refetchOnWindowFocus: false,
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
