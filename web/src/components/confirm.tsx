// A button that asks first, in a real modal <dialog> (focus moves into it, Escape cancels), rendered
// into <body> so that its form is never nested in the page's own forms.
import { useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { useKeepFocusOnPage } from './keep-focus';

/** Runs onConfirm only after the person confirms; the question says what will happen. */
export function ConfirmButton({
  label,
  question,
  confirmLabel = label,
  onConfirm,
  danger = false,
  disabled = false,
  children,
}: {
  label: string;
  question: string;
  confirmLabel?: string;
  onConfirm: () => void;
  danger?: boolean;
  disabled?: boolean;
  /** Extra content in the dialog (e.g. a reason field). */
  children?: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  // The action confirmed often replaces this button (Suspend becomes Reinstate, Disable becomes Enable).
  useKeepFocusOnPage();
  const close = () => {
    dialog.current?.close();
    setOpen(false);
  };
  return (
    <>
      <button
        type="button"
        className={danger ? 'danger' : undefined}
        disabled={disabled}
        onClick={() => {
          setOpen(true);
          dialog.current?.showModal();
        }}
      >
        {label}
      </button>
      {createPortal(
        <dialog ref={dialog} aria-label={label} onClose={() => setOpen(false)}>
          {open && (
            <form
              method="dialog"
              onSubmit={(event) => {
                event.preventDefault();
                close();
                onConfirm();
              }}
            >
              <p>{question}</p>
              {children}
              <div className="row">
                <button type="submit" className={danger ? 'danger' : 'primary'} autoFocus>
                  {confirmLabel}
                </button>
                <button type="button" onClick={close}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </dialog>,
        document.body,
      )}
    </>
  );
}
