// Listing text as Markdown, safely: react-markdown builds React elements from the Markdown syntax
// tree and drops raw HTML (skipHtml), so a listing cannot inject markup or script; links open
// without the opener.
import ReactMarkdown from 'react-markdown';

/** Renders publisher-written Markdown without any raw HTML. */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        skipHtml
        components={{
          a: ({ href, children }) => (
            <a href={href} rel="noopener noreferrer nofollow" target="_blank">
              {children}
            </a>
          ),
          img: ({ alt }) => <span className="muted">[image: {alt}]</span>,
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
