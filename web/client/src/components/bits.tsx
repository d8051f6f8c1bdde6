// Small shared pieces: an API error shown with its message, a spinner, a confidence meter.
import { ApiError } from "../api";

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error as Error;
  const code = e instanceof ApiError ? e.code : "";
  return (
    <div className="error" role="alert" data-testid="error">
      {code && <strong>{code}: </strong>}
      {e.message}
    </div>
  );
}

export function Spinner({ label }: { label: string }) {
  return (
    <span className="spinner-wrap" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </span>
  );
}

export function Confidence({ value, label = "Confidence", showLabel = true }: { value: number; label?: string; showLabel?: boolean }) {
  const pct = Math.round(value * 100);
  return (
    <span className="confidence">
      {showLabel && `${label} `}
      <meter min={0} max={1} value={value} aria-label={label}>
        {pct}%
      </meter>{" "}
      {pct}%
    </span>
  );
}

export function when(seconds: number | null | undefined): string {
  if (!seconds) return "never";
  return new Date(seconds * 1000).toLocaleString();
}
