// An empty project to install the packed tarballs into, as a user without a toolchain would:
// a PATH that holds every program of the usual folders except compilers, cmake, git, make, ninja.
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from "node:fs";
import { delimiter, join } from "node:path";

const HIDDEN = /^(cmake|ctest|cpack|g\+\+|gcc|c\+\+|cc|clang|clang\+\+|git|make|ninja|ld|as|x86_64-linux-gnu-(g\+\+|gcc|ld|as).*|g\+\+-\d+|gcc-\d+)$/;

/** A folder of links to every program on PATH but the toolchain (made under `work`). */
export function pathWithoutToolchain(work: string): string {
  const bin = join(work, "path");
  mkdirSync(bin, { recursive: true });
  const seen = new Set<string>();
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (seen.has(name) || HIDDEN.test(name)) continue;
      seen.add(name);
      try { symlinkSync(join(dir, name), join(bin, name)); } catch {}
    }
  }
  return bin;
}

/** Bytes of the regular files under `path`. */
export function du(path: string): number {
  let total = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    total += e.isDirectory() ? du(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}
