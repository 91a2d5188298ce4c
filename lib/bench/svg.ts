// A self-contained SVG line chart: decode throughput (S_TG) against batch size, one line per
// KV mode x sampling x shared-prompt series, log2 batch axis. No script, no external font.
import type { BenchRow } from "./sweep.js";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function throughputSvg(rows: BenchRow[], title: string): string {
  const W = 720, H = 420, L = 70, R = 190, T = 40, B = 50;
  const series = new Map<string, BenchRow[]>();
  for (const r of rows) {
    const key = `${r.kv}, ${r.sampling} sampling${r.shared ? "" : ", own prompts"}${rows.some((x) => x.pp !== r.pp || x.tg !== r.tg) ? `, PP ${r.pp} TG ${r.tg}` : ""}`;
    (series.get(key) ?? series.set(key, []).get(key)!).push(r);
  }
  const bs = rows.map((r) => r.b);
  const lo = Math.log2(Math.max(1, Math.min(...bs))), hi = Math.log2(Math.max(2, ...bs));
  const yMax = Math.max(1, ...rows.map((r) => r.sTg)) * 1.1;
  const x = (b: number) => L + ((Math.log2(b) - lo) / Math.max(1e-9, hi - lo)) * (W - L - R);
  const y = (v: number) => H - B - (v / yMax) * (H - T - B);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">batch size (sequences)</text>`,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">decode tokens/s (S_TG)</text>`,
  ];
  for (const b of [...new Set(bs)].sort((p, q) => p - q)) {
    parts.push(`<line x1="${x(b)}" y1="${H - B}" x2="${x(b)}" y2="${H - B + 5}" stroke="black"/><text x="${x(b)}" y="${H - B + 18}" text-anchor="middle">${b}</text>`);
  }
  for (let k = 0; k <= 4; k++) {
    const v = (yMax / 4) * k;
    parts.push(`<line x1="${L - 5}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`);
  }
  [...series].forEach(([name, pts], i) => {
    const color = COLORS[i % COLORS.length];
    const sorted = [...pts].sort((p, q) => p.b - q.b);
    parts.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="2" points="${sorted.map((r) => `${x(r.b).toFixed(1)},${y(r.sTg).toFixed(1)}`).join(" ")}"/>`);
    for (const r of sorted) parts.push(`<circle cx="${x(r.b).toFixed(1)}" cy="${y(r.sTg).toFixed(1)}" r="3" fill="${color}"><title>B=${r.b}: ${r.sTg.toFixed(1)} tok/s</title></circle>`);
    parts.push(`<rect x="${W - R + 12}" y="${T + i * 20}" width="12" height="3" fill="${color}"/><text x="${W - R + 30}" y="${T + i * 20 + 5}">${esc(name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
