// Runs per day as stacked bars, succeeded and the rest (recharts, SVG); the page states the totals
// in words too.
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

/** A bar chart of runs per day, split into succeeded and not. */
export default function RunsChart({
  days,
  caption,
}: {
  days: Array<{ day: string; executions: number; succeeded: number }>;
  caption: string;
}) {
  const points = days.map((d) => ({
    day: d.day.slice(5),
    succeeded: d.succeeded,
    other: d.executions - d.succeeded,
  }));
  return (
    <figure className="chart" aria-label={caption}>
      <ResponsiveContainer width="100%" height={240}>
        <BarChart data={points} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="day" tick={{ fontSize: 12 }} />
          <YAxis allowDecimals={false} width={40} tick={{ fontSize: 12 }} />
          <Tooltip />
          <Legend />
          <Bar dataKey="succeeded" name="Succeeded" stackId="runs" fill="#1d6b35" isAnimationActive={false} />
          <Bar
            dataKey="other"
            name="Failed or timed out"
            stackId="runs"
            fill="#b3261e"
            isAnimationActive={false}
          />
        </BarChart>
      </ResponsiveContainer>
      <figcaption className="muted small">{caption}</figcaption>
    </figure>
  );
}
