// Self-contained HTML pages: inline CSS and SVG only (no script, no font or image from the
// network), so a report opens anywhere, offline, and can be attached to an issue or a run log.

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e6eb;padding-bottom:4px}
.meta{color:#5b6573;font-size:13px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #dde1e6;padding:4px 8px;text-align:right}
th{background:#f4f6f8}td:first-child,th:first-child{text-align:left}svg{display:block;margin:8px 0;max-width:100%}
.note{color:#5b6573;font-size:12px}section{margin-bottom:18px}
table.candidates td{text-align:left;vertical-align:top}td.text{max-width:820px}details summary{cursor:pointer}
.full{white-space:pre-wrap;background:#f8f9fb;border-left:3px solid #dde1e6;padding:4px 8px;margin:4px 0}.query{margin:6px 0 8px}
`;

export function page(title: string, meta: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(title)}</h1><div class="meta">${esc(meta)}</div></header>
${body}
</body></html>
`;
}

export function table(headers: string[], rows: (string | number)[][], id?: string): string {
  return `<table${id ? ` id="${esc(id)}"` : ""}><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

export interface BarRow { label: string; value: number; low?: number; high?: number; color?: string; text?: string }

/** Horizontal bars on [min, max], with an interval whisker when low/high are given. */
export function barChart(rows: BarRow[], o: { id: string; min?: number; max?: number; unit?: string; width?: number }): string {
  const width = o.width ?? 760, labelW = 210, textW = 130, rowH = 22, top = 8;
  const min = o.min ?? 0, max = o.max ?? Math.max(1e-9, ...rows.map((r) => r.high ?? r.value));
  const plotW = width - labelW - textW;
  const x = (v: number) => labelW + ((Math.min(max, Math.max(min, v)) - min) / (max - min || 1)) * plotW;
  const h = top * 2 + rows.length * rowH + 16;
  const ticks = Array.from({ length: 5 }, (_, i) => min + ((max - min) * i) / 4);
  const parts = ticks.map((t) => `<line x1="${x(t)}" x2="${x(t)}" y1="${top}" y2="${h - 16}" stroke="#eceff3"/><text x="${x(t)}" y="${h - 3}" font-size="10" text-anchor="middle" fill="#5b6573">${esc(Number(t.toFixed(1)))}${esc(o.unit ?? "")}</text>`);
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${labelW - 6}" y="${y + 15}" font-size="12" text-anchor="end">${esc(r.label)}</text>`);
    parts.push(`<rect class="bar" x="${labelW}" y="${y + 4}" width="${Math.max(1, x(r.value) - labelW)}" height="${rowH - 8}" fill="${r.color ?? "#4c78a8"}"/>`);
    if (r.low !== undefined && r.high !== undefined) {
      parts.push(`<line class="ci" x1="${x(r.low)}" x2="${x(r.high)}" y1="${y + 11}" y2="${y + 11}" stroke="#1d2430" stroke-width="1.5"/><line x1="${x(r.low)}" x2="${x(r.low)}" y1="${y + 6}" y2="${y + 16}" stroke="#1d2430"/><line x1="${x(r.high)}" x2="${x(r.high)}" y1="${y + 6}" y2="${y + 16}" stroke="#1d2430"/>`);
    }
    parts.push(`<text x="${width - textW + 6}" y="${y + 15}" font-size="12">${esc(r.text ?? r.value.toFixed(1))}</text>`);
  });
  return `<svg id="${esc(o.id)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" role="img">${parts.join("")}</svg>`;
}

/** Vertical histogram bars. */
export function histogramChart(bins: { from: number; to: number; count: number }[], o: { id: string; xLabel: string; width?: number }): string {
  const width = o.width ?? 760, height = 220, left = 44, bottom = 36, top = 10;
  const maxC = Math.max(1, ...bins.map((b) => b.count));
  const bw = (width - left - 10) / Math.max(1, bins.length);
  const parts: string[] = [`<line x1="${left}" x2="${width - 10}" y1="${height - bottom}" y2="${height - bottom}" stroke="#5b6573"/>`];
  bins.forEach((b, i) => {
    const bh = ((height - bottom - top) * b.count) / maxC;
    const x = left + i * bw;
    parts.push(`<rect class="bar" x="${x + 1}" y="${height - bottom - bh}" width="${Math.max(1, bw - 2)}" height="${bh}" fill="#72b7b2"><title>${esc(`${b.from}–${b.to}: ${b.count}`)}</title></rect>`);
    parts.push(`<text x="${x + bw / 2}" y="${height - bottom + 13}" font-size="10" text-anchor="middle" fill="#5b6573">${esc(b.from)}</text>`);
    if (b.count) parts.push(`<text x="${x + bw / 2}" y="${height - bottom - bh - 3}" font-size="10" text-anchor="middle">${b.count}</text>`);
  });
  parts.push(`<text x="${(width + left) / 2}" y="${height - 4}" font-size="11" text-anchor="middle">${esc(o.xLabel)}</text>`);
  return `<svg id="${esc(o.id)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join("")}</svg>`;
}

/** What a report says of the run that made it (the output's header line: lib/cli/run-header.ts). */
export interface RunDescription { command: string; version: string; model: string; settings: Record<string, unknown>; shard?: string }

/** The run's settings as a two-column table, one row per setting ("judge.votes", 8). */
export function runSettingsSection(run: RunDescription | undefined): string {
  if (!run) return "";
  const rows: (string | number)[][] = [["command", `rrm ${run.command} (rrm-engine ${run.version})`], ["model file", run.model]];
  const walk = (v: unknown, key: string) => {
    if (v && typeof v === "object" && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}.${k}` : k);
    else rows.push([key, JSON.stringify(v ?? null)]);
  };
  walk(run.settings, "");
  return `<section><h2>Run settings</h2>${table(["setting", "value"], rows, "run-settings")}<p class="note">${esc("Recorded in the output's first line; rrm --resume and rrm merge refuse files made with other settings.")}</p></section>`;
}
