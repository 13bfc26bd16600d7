/**
 * A tiny in-process meter: counters and last-value gauges named `syncfleet.<noun>` with units,
 * exported as Prometheus text by whichever app serves /metrics.
 */
export interface MetricPoint {
  name: string;
  unit: string;
  labels: Record<string, string>;
  value: number;
}

export class Meter {
  private readonly points = new Map<string, MetricPoint>();

  add(name: string, unit: string, value = 1, labels: Record<string, string> = {}): void {
    const point = this.point(name, unit, labels);
    point.value += value;
  }

  set(name: string, unit: string, value: number, labels: Record<string, string> = {}): void {
    this.point(name, unit, labels).value = value;
  }

  snapshot(): MetricPoint[] {
    return [...this.points.values()].map((p) => ({ ...p, labels: { ...p.labels } }));
  }

  toPrometheus(): string {
    return this.snapshot()
      .map((p) => {
        const labels = Object.entries(p.labels)
          .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
          .join(',');
        return `${p.name.replace(/\./g, '_')}_${p.unit}${labels ? `{${labels}}` : ''} ${p.value}`;
      })
      .join('\n');
  }

  private point(name: string, unit: string, labels: Record<string, string>): MetricPoint {
    const key = `${name}|${unit}|${JSON.stringify(labels)}`;
    let point = this.points.get(key);
    if (!point) {
      point = { name, unit, labels, value: 0 };
      this.points.set(key, point);
    }
    return point;
  }
}
