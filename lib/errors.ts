// Errors that explain themselves: what was wrong, and the value that was.

/** An option or argument outside what is allowed. */
export class RrmOptionError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "RrmOptionError";
  }
}

/** A failure inside the engine (llama.cpp), with its cause when llama.cpp logged one. */
export class RrmEngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RrmEngineError";
  }
}

/** The DOMException-compatible error fetch() and friends reject with on abort. */
export function abortError(signal?: AbortSignal): Error {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  const e = new Error(typeof reason === "string" ? reason : "The operation was aborted");
  e.name = "AbortError";
  return e;
}

export function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" || v == null) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return `a ${typeof v === "object" ? (v.constructor?.name ?? "object") : typeof v}`;
}
