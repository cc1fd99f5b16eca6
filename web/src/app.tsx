// The app shell: sign-in when nobody is signed in; otherwise a header with the pages this role can
// use, and the pages themselves, each loaded when first opened.
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { NavLink, Route, Routes, useLocation } from 'react-router';
import { NotifyProvider, useNotify } from './components/notify';
import { ErrorNotice, Loading } from './components/states';
import { CatalogPage } from './pages/catalog';
import { SignInPage } from './pages/sign-in';
import { canReview, isOrgAdmin, useMe, useSignOut, type Me } from './session';

const ListingPage = lazy(() => import('./pages/listing'));
const InstallationsPage = lazy(() => import('./pages/installations'));
const InstallationPage = lazy(() => import('./pages/installation'));
const UsagePage = lazy(() => import('./pages/usage'));
const InvoicesPage = lazy(() => import('./pages/invoices'));
const CredentialsPage = lazy(() => import('./pages/credentials'));
const KeysPage = lazy(() => import('./pages/keys'));
const AuditPage = lazy(() => import('./pages/audit'));
const EventsPage = lazy(() => import('./pages/events'));
const WebhooksPage = lazy(() => import('./pages/webhooks'));
const WebhookPage = lazy(() => import('./pages/webhook'));
const PublisherPage = lazy(() => import('./pages/publisher'));
const PublisherListingPage = lazy(() => import('./pages/publisher-listing'));
const ReviewsPage = lazy(() => import('./pages/reviews'));
const OrganizationsPage = lazy(() => import('./pages/organizations'));
const BillingRunsPage = lazy(() => import('./pages/billing-runs'));

interface NavItem {
  to: string;
  label: string;
  show: (me: Me) => boolean;
}

const nav: NavItem[] = [
  { to: '/', label: 'Catalog', show: () => true },
  { to: '/installations', label: 'Installations', show: (me) => me.kind === 'org' },
  { to: '/usage', label: 'Usage', show: (me) => me.kind === 'org' },
  { to: '/invoices', label: 'Invoices', show: (me) => me.kind === 'org' },
  { to: '/publisher', label: 'My listings', show: (me) => me.kind === 'org' },
  { to: '/credentials', label: 'Credentials', show: isOrgAdmin },
  { to: '/keys', label: 'API keys', show: isOrgAdmin },
  { to: '/audit', label: 'Audit', show: isOrgAdmin },
  { to: '/events', label: 'Events', show: isOrgAdmin },
  { to: '/webhooks', label: 'Webhooks', show: isOrgAdmin },
  { to: '/reviews', label: 'Reviews', show: canReview },
  { to: '/admin/organizations', label: 'Organisations', show: (me) => me.role === 'platform-admin' },
  { to: '/admin/billing', label: 'Billing runs', show: (me) => me.role === 'platform-admin' },
];

/** The console. */
export function App() {
  return (
    <NotifyProvider>
      <Shell />
    </NotifyProvider>
  );
}

function Shell() {
  const me = useMe();
  if (me.isPending)
    return (
      <main className="page">
        <Loading what="Opening the console" />
      </main>
    );
  if (me.error)
    return (
      <main className="page">
        <ErrorNotice error={me.error} title="Could not reach Bazaar" />
      </main>
    );
  if (!me.data) return <SignInPage />;
  return <SignedIn me={me.data} />;
}

function SignedIn({ me }: { me: Me }) {
  const signOut = useSignOut();
  const notify = useNotify();
  const location = useLocation();
  // Move focus to the page's heading on navigation, so keyboard and screen-reader users land there.
  // Most pages draw their heading only once their code and data have arrived: wait for it, but never
  // take focus from something the person has moved to meanwhile.
  useEffect(() => {
    const main = document.getElementById('main');
    if (!main) return;
    const before = document.activeElement;
    const focusHeading = () => {
      const heading = main.querySelector<HTMLElement>('h1');
      if (!heading) return false;
      const active = document.activeElement;
      if (active === before || active === document.body || active === null) heading.focus();
      return true;
    };
    if (focusHeading()) return;
    const observer = new MutationObserver(() => {
      if (focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [location.pathname]);
  const who = me.kind === 'org' ? `${me.orgName} · ${me.role}` : me.role;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="brand">Bazaar</div>
        <nav aria-label="Main">
          <ul>
            {nav
              .filter((item) => item.show(me))
              .map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} end={item.to === '/'}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
          </ul>
        </nav>
        <div className="who">
          <span title={`key ${me.keyName}`}>{who}</span>
          <button
            type="button"
            onClick={() => signOut.mutate(undefined, { onSuccess: () => notify('Signed out') })}
            disabled={signOut.isPending}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        <Suspense fallback={<Loading what="Loading the page" />}>
          <Routes>
            <Route path="/" element={<CatalogPage />} />
            <Route path="/listings/:slug" element={<ListingPage me={me} />} />
            <Route
              path="/installations"
              element={
                <OrgOnly me={me}>
                  <InstallationsPage />
                </OrgOnly>
              }
            />
            <Route
              path="/installations/:id"
              element={
                <OrgOnly me={me}>
                  <InstallationPage me={me} />
                </OrgOnly>
              }
            />
            <Route
              path="/usage"
              element={
                <OrgOnly me={me}>
                  <UsagePage />
                </OrgOnly>
              }
            />
            <Route
              path="/invoices"
              element={
                <OrgOnly me={me}>
                  <InvoicesPage />
                </OrgOnly>
              }
            />
            <Route
              path="/credentials"
              element={
                <OrgOnly me={me}>
                  <CredentialsPage />
                </OrgOnly>
              }
            />
            <Route
              path="/keys"
              element={
                <OrgOnly me={me}>
                  <KeysPage me={me} />
                </OrgOnly>
              }
            />
            <Route
              path="/events"
              element={
                <OrgOnly me={me}>
                  <EventsPage />
                </OrgOnly>
              }
            />
            <Route
              path="/webhooks"
              element={
                <OrgOnly me={me}>
                  <WebhooksPage />
                </OrgOnly>
              }
            />
            <Route
              path="/webhooks/:id"
              element={
                <OrgOnly me={me}>
                  <WebhookPage />
                </OrgOnly>
              }
            />
            <Route
              path="/audit"
              element={
                <OrgOnly me={me}>
                  <AuditPage />
                </OrgOnly>
              }
            />
            <Route
              path="/publisher"
              element={
                <OrgOnly me={me}>
                  <PublisherPage />
                </OrgOnly>
              }
            />
            <Route
              path="/publisher/:id"
              element={
                <OrgOnly me={me}>
                  <PublisherListingPage />
                </OrgOnly>
              }
            />
            <Route path="/reviews" element={<ReviewsPage />} />
            <Route path="/admin/organizations" element={<OrganizationsPage />} />
            <Route path="/admin/billing" element={<BillingRunsPage />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </main>
    </>
  );
}

function OrgOnly({ me, children }: { me: Me; children: ReactNode }) {
  if (me.kind !== 'org') {
    return (
      <div className="notice">
        <h1 tabIndex={-1}>Organisation pages</h1>
        <p>This page belongs to an organisation; you are signed in with a platform key.</p>
      </div>
    );
  }
  return <>{children}</>;
}

function NotFound() {
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        Nothing lives at this address. <NavLink to="/">Go to the catalog</NavLink>.
      </p>
    </>
  );
}
