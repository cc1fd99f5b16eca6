// Every action confirms what happened: one live region at the corner of the page says it, for 8 s
// or until dismissed.
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';

interface Note {
  id: number;
  text: string;
  kind: 'ok' | 'error';
}

const NotifyContext = createContext<(text: string, kind?: Note['kind']) => void>(() => {});

/** Provides notify() to the pages and shows the notes. */
export function NotifyProvider({ children }: { children: ReactNode }) {
  const [notes, setNotes] = useState<Note[]>([]);
  const dismiss = useCallback(
    (id: number) => setNotes((current) => current.filter((note) => note.id !== id)),
    [],
  );
  const notify = useCallback(
    (text: string, kind: Note['kind'] = 'ok') => {
      const id = Date.now() + Math.random();
      setNotes((current) => [...current.slice(-2), { id, text, kind }]);
      setTimeout(() => dismiss(id), 8000);
    },
    [dismiss],
  );
  return (
    <NotifyContext.Provider value={notify}>
      <div className="notes" role="status" aria-live="polite">
        {notes.map((note) => (
          <p key={note.id} className={`note ${note.kind}`}>
            <span>{note.text}</span>
            <button
              type="button"
              className="note-dismiss"
              aria-label={`Dismiss: ${note.text}`}
              onClick={() => dismiss(note.id)}
            >
              ×
            </button>
          </p>
        ))}
      </div>
      {children}
    </NotifyContext.Provider>
  );
}

/** Says what just happened, politely, to everyone. */
export function useNotify() {
  return useContext(NotifyContext);
}
