import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

/** A Chart.js chart that updates in place when its data changes (no flicker on polling). */
export function ChartView({ config, label }: { config: ChartConfiguration; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    if (!chart.current) {
      chart.current = new Chart(canvas.current, config);
    } else {
      chart.current.data = config.data;
      chart.current.update('none');
    }
  }, [config]);
  useEffect(() => () => chart.current?.destroy(), []);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}

export const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];

export const time = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
export const ago = (iso: string | null | undefined) => {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
};

export function Stat({
  label,
  value,
  tone,
  id,
}: {
  label: string;
  value: number | string;
  tone?: string;
  id?: string;
}) {
  return (
    <div class={`stat ${tone ?? ''}`} data-stat={id}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="card" aria-label={title}>
      <header class="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function ErrorNote({ error }: { error: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** The alert tables' action: acknowledge one alert (named by its code for screen readers). */
export function AcknowledgeButton({ code, onAcknowledge }: { code: string; onAcknowledge: () => void }) {
  return (
    <button type="button" onClick={onAcknowledge} aria-label={`Acknowledge ${code}`}>
      Acknowledge
    </button>
  );
}

/**
 * A dropdown of a form read on submit, showing `value` as chosen: that option is marked `selected`
 * (a <select> has no defaultValue property, and Preact does not turn one into the selection, so
 * `defaultValue` on a select always showed its first option — and saving then wrote that back).
 */
export function Choice({
  name,
  value,
  options,
}: {
  name: string;
  value: string | null | undefined;
  options: ReadonlyArray<readonly [value: string, label: string]>;
}) {
  const chosen = value ?? '';
  return (
    <select name={name}>
      {options.map(([v, label]) => (
        <option value={v} selected={v === chosen}>
          {label}
        </option>
      ))}
    </select>
  );
}
