// A small SVG line over the last hour of samples (CPU or memory of one service).

export function Sparkline({ values, label, max }: { values: number[]; label: string; max?: number }) {
  const w = 80;
  const h = 24;
  const top = Math.max(max ?? 0, ...values, 1e-9);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - (v / top) * (h - 2) - 1).toFixed(1)}`).join(" ");
  return (
    <svg className="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      {values.length > 1 ? <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" /> : null}
    </svg>
  );
}
