// A small SVG line chart (no dependencies): accuracy (0.5-1 by default) against a log2 x axis, or
// any y against a linear x (the loss curve), one line per series. For figures that a browser or
// GitHub renders as they are.
export interface Series { name: string; points: [number, number][] }

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

export interface ChartOptions { yMin?: number; yMax?: number; yStep?: number; logX?: boolean; percent?: boolean }

export function lineChart(title: string, series: Series[], o: ChartOptions = {}): string {
  const { yMin = 0.5, yMax = 1, yStep = 0.1, logX = true, percent = true } = o;
  const fx = (v: number) => (logX ? Math.log2(v) : v);
  const W = 640, H = 360, L = 56, R = 20, T = 40, B = 70;
  const xs = series.flatMap((s) => s.points.map((p) => fx(p[0])));
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const X = (v: number) => L + ((fx(v) - x0) / (x1 - x0 || 1)) * (W - L - R);
  const Y = (v: number) => T + (1 - (Math.min(yMax, Math.max(yMin, v)) - yMin) / (yMax - yMin)) * (H - T - B);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${title}</text>`];
  for (let v = yMin; v <= yMax + 1e-9; v += yStep) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${Y(v)}" y2="${Y(v)}" stroke="#ddd"/>`, `<text x="${L - 6}" y="${Y(v) + 4}" text-anchor="end">${percent ? `${Math.round(v * 100)}%` : v.toFixed(1)}</text>`);
  }
  if (logX) for (let e = Math.ceil(x0); e <= x1; e++) parts.push(`<text x="${X(2 ** e)}" y="${H - B + 16}" text-anchor="middle">${2 ** e}</text>`);
  else for (let k = 0; k <= 5; k++) { const v = x0 + ((x1 - x0) * k) / 5; parts.push(`<text x="${X(v)}" y="${H - B + 16}" text-anchor="middle">${Math.round(v)}</text>`); }
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${s.points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" ")}"/>`);
    if (s.points.length <= 40) for (const p of s.points) parts.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${c}"/>`);
    parts.push(`<text x="${L}" y="${H - 30 + i * 15}" fill="${c}">— ${s.name}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
