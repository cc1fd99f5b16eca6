// Invoices with their lines, newest first.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api';
import { Empty, QueryView } from '../components/states';
import { money, when } from '../format';

/** The invoices page. */
export default function InvoicesPage() {
  const invoices = useQuery({ queryKey: ['invoices'], queryFn: () => unwrap(api.GET('/v1/invoices')) });
  return (
    <>
      <h1 tabIndex={-1}>Invoices</h1>
      <QueryView query={invoices} what="invoices">
        {({ invoices: list }) =>
          list.length === 0 ? (
            <Empty>No invoices yet: they are made at the end of each month from your usage.</Empty>
          ) : (
            <ul className="plain">
              {list.map((invoice) => (
                <li key={invoice.id} className="panel">
                  <details>
                    <summary>
                      <strong>{invoice.period.slice(0, 7)}</strong> · {money(invoice.total, invoice.currency)}{' '}
                      · <span className={`badge ${invoice.status}`}>{invoice.status}</span>{' '}
                      <span className="muted small">{invoice.lines.length} lines</span>
                    </summary>
                    <p className="muted small">
                      Created {when(invoice.createdAt)}
                      {invoice.finalizedAt && `, final ${when(invoice.finalizedAt)}`}
                    </p>
                    <div className="table-wrap">
                      <table>
                        <thead>
                          <tr>
                            <th scope="col">Line</th>
                            <th scope="col">Runs</th>
                            <th scope="col">Tokens</th>
                            <th scope="col">Amount</th>
                          </tr>
                        </thead>
                        <tbody>
                          {invoice.lines.map((line) => (
                            <tr key={line.id}>
                              <td>{line.description}</td>
                              <td>{line.invocations}</td>
                              <td>{line.tokens}</td>
                              <td>{money(line.amount, invoice.currency)}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  </details>
                </li>
              ))}
            </ul>
          )
        }
      </QueryView>
    </>
  );
}
