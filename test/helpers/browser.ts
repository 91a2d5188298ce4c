// Headless Chromium (Debian's chromium package) for report tests: a screenshot, and the boxes of
// chosen elements measured by the browser's own layout.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function chromiumPath(): string {
  for (const p of [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) if (p && existsSync(p)) return p;
  throw new Error("no headless browser: install Debian's chromium (apt-get install chromium) or set CHROMIUM");
}

const FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run", "--disable-extensions", "--mute-audio"];

export function screenshot(html: string, out: string, size = "1200,2400"): Buffer {
  execFileSync(chromiumPath(), [...FLAGS, `--window-size=${size}`, `--screenshot=${out}`, `file://${html}`], { stdio: "ignore", timeout: 60_000 });
  return readFileSync(out);
}

/**
 * The bounding boxes of the elements matching each selector, as laid out by the browser. The
 * report has no script; a copy gets one that writes the measurements into the DOM, which
 * --dump-dom prints.
 */
export function measure(htmlPath: string, selectors: string[], workDir: string): Record<string, { w: number; h: number; x: number; y: number }[]> {
  const probe = `<script>addEventListener("load",()=>{const r={};for(const s of ${JSON.stringify(selectors)})r[s]=[...document.querySelectorAll(s)].map(e=>{const b=e.getBoundingClientRect();return{w:b.width,h:b.height,x:b.left,y:b.top}});const p=document.createElement("pre");p.id="rrm-measure";p.textContent=JSON.stringify(r);document.body.appendChild(p)})</script>`;
  const copy = join(workDir, "measured.html");
  writeFileSync(copy, readFileSync(htmlPath, "utf8").replace("</body>", probe + "</body>"));
  const dom = execFileSync(chromiumPath(), [...FLAGS, "--window-size=1200,2400", "--virtual-time-budget=2000", "--dump-dom", `file://${copy}`], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] });
  const m = /<pre id="rrm-measure">([^<]*)<\/pre>/.exec(dom);
  if (!m) throw new Error("the browser did not run the measuring script");
  return JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, "&"));
}
