// Python's text rules, for parsers that must return what the authors' Python returns byte for
// byte: str.strip() and the regex class \s strip or match every character for which str.isspace()
// is true (the ASCII separators \x1c-\x1f and U+0085 included, U+FEFF not), which is not the set
// JavaScript's trim() and \s use.
export const PY_SPACE = "[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const LEADING = new RegExp(`^${PY_SPACE}+`);
const TRAILING = new RegExp(`${PY_SPACE}+$`);

/** Python's str.strip() with no argument. */
export function pyStrip(s: string): string {
  return s.replace(LEADING, "").replace(TRAILING, "");
}

/** Python's str.rstrip() with no argument. */
export function pyRstrip(s: string): string {
  return s.replace(TRAILING, "");
}

/** re.findall(pattern, text) for a pattern with one group: every match's group, left to right. */
export function findAll(pattern: RegExp, text: string): string[] {
  const re = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g");
  const out: string[] = [];
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[0]);
  return out;
}

/**
 * Python's int(s) for a string, or null where Python raises ValueError: optional surrounding
 * whitespace, an optional sign, ASCII digits with single underscores between them. (Python also
 * reads other scripts' decimal digits; a judge's score in them is rare enough to refuse.)
 */
export function pyInt(s: string): number | null {
  const m = /^([+-]?)(\d+(?:_\d+)*)$/.exec(pyStrip(s));
  if (!m) return null;
  const n = Number(m[2].replace(/_/g, ""));
  return m[1] === "-" ? -n : n;
}

/**
 * Python's template.format(**fields) for templates with named fields only: one pass, so a value
 * that contains "{a}" stays as it is; "{{" and "}}" are literal braces. A field the template
 * names but `fields` lacks is a programming error here, as KeyError is in Python.
 */
export function pyFormat(template: string, fields: Record<string, string>): string {
  return template.replace(/\{\{|\}\}|\{(\w+)\}/g, (m, name: string | undefined) => {
    if (m === "{{") return "{";
    if (m === "}}") return "}";
    const v = fields[name!];
    if (v === undefined) throw new Error(`template field {${name}} has no value`);
    return v;
  });
}
