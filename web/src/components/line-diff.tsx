// A reviewer's view of what a version changes in the manifest: removed lines marked "-", added "+",
// with a little context.
import { diffLines } from '../diff-lines';
/** The diff of two JSON values, pretty-printed, with only changed lines and a little context. */
export function JsonDiff({ before, after, label }: { before: unknown; after: unknown; label: string }) {
  const lines = diffLines(JSON.stringify(before, null, 2), JSON.stringify(after, null, 2));
  const near = (index: number) =>
    lines.slice(Math.max(0, index - 2), index + 3).some((line) => line.kind !== 'same');
  const changed = lines.some((line) => line.kind !== 'same');
  if (!changed) return <p className="muted">No change from the published version.</p>;
  return (
    <pre className="json diff" tabIndex={0} aria-label={label}>
      {lines.map((line, index) =>
        near(index) ? (
          <span key={index} className={line.kind}>
            {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
            {line.text}
            {'\n'}
          </span>
        ) : null,
      )}
    </pre>
  );
}
