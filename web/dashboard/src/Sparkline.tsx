// A small SVG line over a series of samples (CPU or memory of one service, counts, requests): from 0 to
// `max` when given (CPU, 0 to 100%), else from the series' own lowest to highest value (a flat series
// drawn across the middle).

export function Sparkline({ values, label, max }: { values: number[]; label: string; max?: number }) {
  const w = 80;
  const h = 24;
  const low = max == null ? Math.min(...values) : 0;
  const high = max == null ? Math.max(...values) : Math.max(max, ...values);
  const span = high - low;
  const y = (v: number) => (span > 0 ? h - ((v - low) / span) * (h - 2) - 1 : h / 2);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  return (
    <svg className="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      {values.length > 1 ? <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" /> : null}
    </svg>
  );
}
