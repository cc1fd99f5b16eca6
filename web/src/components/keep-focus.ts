// Focus that would fall to the page's body when a focused control goes away (an action replaced it:
// Suspend became Reinstate, a secret shown once was dismissed) goes to the page's heading instead, so a
// keyboard user goes on from where they were, not from the top of the page.
import { useEffect } from 'react';

/** On unmount of the calling component: if focus has fallen to the body, move it to the page's heading. */
export function useKeepFocusOnPage() {
  useEffect(
    () => () => {
      requestAnimationFrame(() => {
        if (document.activeElement === document.body)
          document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
      });
    },
    [],
  );
}
