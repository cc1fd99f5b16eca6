// Amounts per day (or month) as bars (recharts, SVG); the pages show the same numbers in a table too.
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { money } from '../format';

/** A bar chart of amounts per period. */
export default function DailyChart({
  points,
  currency,
  caption = 'Cost per day (UTC), all listings',
}: {
  points: { day: string; cost: number }[];
  currency: string;
  caption?: string;
}) {
  return (
    <figure className="chart" aria-label={caption}>
      <ResponsiveContainer width="100%" height={260}>
        <BarChart data={points} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="day" tick={{ fontSize: 12 }} />
          <YAxis
            tickFormatter={(value: number) => money(value, currency)}
            width={80}
            tick={{ fontSize: 12 }}
          />
          <Tooltip formatter={(value) => money(Number(value), currency)} />
          <Bar dataKey="cost" name="Cost" fill="#2457c5" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
      <figcaption className="muted small">{caption}</figcaption>
    </figure>
  );
}
