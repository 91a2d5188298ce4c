// A raw HTTP/1.1 client over node:net for the fuzzer: it sends exactly the bytes it is given (a
// content-length that lies, a chunked body with a bad size line, a method or path no client
// library would send), in pieces with pauses between them (slow bodies), then waits, half-closes,
// closes or resets; and it parses what comes back itself (content-length, chunked and read-to-close
// bodies, several responses on one connection, 1xx interim responses), so a malformed answer is a
// finding rather than a client exception.
import { get } from "node:http";
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  reason: string;
  version: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** Milliseconds from the connection's first byte sent to this response's last byte. */
  ms: number;
}

/** Incremental response parser: feed bytes, then `end()` at EOF. */
export class ResponseParser {
  #buf: Buffer = Buffer.alloc(0);
  readonly responses: RawResponse[] = [];
  readonly interim: number[] = [];
  error?: string;
  constructor(private readonly isHead: (index: number) => boolean = () => false, private readonly t0 = performance.now()) {}

  push(chunk: Buffer) {
    if (this.error) return;
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    this.#parse(false);
  }

  /** EOF: a body without length ends here; bytes left over that are not a whole response are an error. */
  end() {
    if (this.error) return;
    this.#parse(true);
    if (!this.error && this.#buf.length > 0) this.error = `${this.#buf.length} bytes after the last whole response: ${JSON.stringify(this.#buf.subarray(0, 80).toString("latin1"))}`;
  }

  #parse(eof: boolean) {
    for (;;) {
      const headEnd = this.#buf.indexOf("\r\n\r\n");
      if (headEnd < 0) {
        if (this.#buf.length > 64 * 1024) this.error = "response headers longer than 64 KiB";
        return;
      }
      const lines = this.#buf.subarray(0, headEnd).toString("latin1").split("\r\n");
      const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
      if (!m) {
        this.error = `bad status line ${JSON.stringify(lines[0].slice(0, 80))}`;
        return;
      }
      const status = Number(m[2]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(":");
        if (i <= 0) {
          this.error = `bad header line ${JSON.stringify(line.slice(0, 80))}`;
          return;
        }
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const start = headEnd + 4;
      if (status >= 100 && status < 200) {
        this.interim.push(status);
        this.#buf = this.#buf.subarray(start);
        continue;
      }
      const noBody = this.isHead(this.responses.length) || status === 204 || status === 304;
      let body: Buffer;
      let next: number;
      if (noBody) {
        body = Buffer.alloc(0);
        next = start;
      } else if (/\bchunked\b/i.test(headers["transfer-encoding"] ?? "")) {
        const r = dechunk(this.#buf, start);
        if (r === "bad") {
          this.error = "a malformed chunked response body";
          return;
        }
        if (!r) return; // wait for more
        body = r.body;
        next = r.next;
      } else if (headers["content-length"] !== undefined) {
        if (!/^\d+$/.test(headers["content-length"])) {
          this.error = `bad content-length in a response: ${headers["content-length"]}`;
          return;
        }
        const n = Number(headers["content-length"]);
        if (this.#buf.length < start + n) return;
        body = this.#buf.subarray(start, start + n);
        next = start + n;
      } else {
        if (!eof) return; // read to close
        body = this.#buf.subarray(start);
        next = this.#buf.length;
      }
      this.responses.push({ status, reason: m[3] ?? "", version: m[1], headers, body: Buffer.from(body), ms: performance.now() - this.t0 });
      this.#buf = this.#buf.subarray(next);
    }
  }
}

function dechunk(buf: Buffer, at: number): { body: Buffer; next: number } | undefined | "bad" {
  const parts: Buffer[] = [];
  let p = at;
  for (;;) {
    const eol = buf.indexOf("\r\n", p);
    if (eol < 0) return undefined;
    const sizeText = buf.subarray(p, eol).toString("latin1").split(";")[0].trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return "bad";
    const size = parseInt(sizeText, 16);
    p = eol + 2;
    if (size === 0) {
      // Trailers (none expected), then the blank line.
      for (;;) {
        const e = buf.indexOf("\r\n", p);
        if (e < 0) return undefined;
        const line = buf.subarray(p, e);
        p = e + 2;
        if (line.length === 0) return { body: Buffer.concat(parts), next: p };
      }
    }
    if (buf.length < p + size + 2) return undefined;
    parts.push(buf.subarray(p, p + size));
    if (buf[p + size] !== 13 || buf[p + size + 1] !== 10) return "bad";
    p += size + 2;
  }
}

export interface Piece { data: Buffer; /** pause before this piece */ delayMs?: number }

export interface ExchangePlan {
  pieces: Piece[];
  /** After the last piece: wait for the answers; half-close (FIN) and wait; close at once; reset (RST). */
  after: "wait" | "end" | "close" | "reset";
  /** Answers to wait for (one per request sent). */
  expect: number;
  /** Which answers are to HEAD requests (no body). */
  heads?: boolean[];
  /** Give up (and close) after this long without all answers. */
  timeoutMs: number;
  /** Close this long after the last piece even if answers are missing (a client that gives up). */
  giveUpMs?: number;
}

export interface Exchange {
  responses: RawResponse[];
  interim: number[];
  /** The server closed the connection (FIN or RST) before we did. */
  closedByServer: boolean;
  timedOut: boolean;
  /** A socket error (ECONNRESET, EPIPE, ...), which hostile requests may well earn. */
  socketError?: string;
  parseError?: string;
  ms: number;
  /** Bytes of the plan actually written before the connection went away. */
  written: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One connection: sends the plan's pieces, collects the answers, closes. */
export function exchange(port: number, plan: ExchangePlan, host = "127.0.0.1"): Promise<Exchange> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const parser = new ResponseParser((i) => plan.heads?.[i] ?? false, t0);
    const socket: Socket = connect({ port, host, allowHalfOpen: true });
    socket.setNoDelay(true);
    let done = false, closedByServer = false, timedOut = false, socketError: string | undefined, written = 0, gone = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ responses: parser.responses, interim: parser.interim, closedByServer, timedOut, socketError, parseError: parser.error, ms: performance.now() - t0, written });
    };
    const timer = setTimeout(() => { timedOut = true; finish(); }, plan.timeoutMs);
    let giveUp: NodeJS.Timeout | undefined;
    socket.on("data", (d: Buffer) => {
      parser.push(d);
      if (parser.error || parser.responses.length >= plan.expect) finish();
    });
    socket.on("end", () => {
      closedByServer = true;
      gone = true;
      parser.end();
      finish();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      socketError = e.code ?? e.message;
      gone = true;
      closedByServer = closedByServer || e.code === "ECONNRESET" || e.code === "EPIPE";
      parser.end();
      finish();
    });
    socket.on("close", () => {
      gone = true;
      parser.end();
      finish();
    });
    socket.once("connect", async () => {
      for (const piece of plan.pieces) {
        if (piece.delayMs) await sleep(piece.delayMs);
        if (done || gone) return;
        await new Promise<void>((r) => socket.write(piece.data, () => r()));
        written += piece.data.length;
      }
      if (done || gone) return;
      if (plan.after === "close") return finish();
      if (plan.after === "reset") {
        done = true;
        clearTimeout(timer);
        socket.resetAndDestroy();
        resolve({ responses: parser.responses, interim: parser.interim, closedByServer, timedOut, socketError, parseError: parser.error, ms: performance.now() - t0, written });
        return;
      }
      if (plan.after === "end") socket.end();
      if (plan.expect === 0) return finish();
      if (plan.giveUpMs !== undefined) giveUp = setTimeout(finish, plan.giveUpMs);
    });
  });
}

/** A keep-alive connection for well-formed requests, one at a time (as a client pool would). */
export class KeepAlive {
  #socket?: Socket;
  #parser?: ResponseParser;
  #waiting?: { n: number; resolve: (r: RawResponse | undefined) => void };
  #closed = true;
  constructor(readonly port: number, readonly host = "127.0.0.1") {}

  get open() { return !this.#closed; }

  #connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect({ port: this.port, host: this.host });
      s.setNoDelay(true);
      this.#socket = s;
      this.#parser = undefined;
      this.#closed = false;
      s.on("data", (d: Buffer) => {
        const p = this.#parser;
        if (!p) return; // unsolicited bytes: ignored until a request is sent
        p.push(d);
        const w = this.#waiting;
        if (w && (p.responses.length >= w.n || p.error)) {
          this.#waiting = undefined;
          w.resolve(p.responses[w.n - 1]);
        }
      });
      const gone = () => {
        this.#closed = true;
        this.#parser?.end();
        const w = this.#waiting;
        this.#waiting = undefined;
        w?.resolve(this.#parser?.responses[w.n - 1]);
      };
      s.on("end", gone);
      s.on("close", gone);
      s.on("error", gone);
      s.once("connect", () => resolve());
      s.once("error", reject);
    });
  }

  /** Sends one request's bytes; resolves with its answer, or undefined if the connection closed first. */
  async request(bytes: Buffer, o: { head?: boolean; timeoutMs: number }): Promise<RawResponse | undefined> {
    if (this.#closed) await this.#connect();
    const t0 = performance.now();
    this.#parser = new ResponseParser(() => o.head ?? false, t0);
    const answer = new Promise<RawResponse | undefined>((resolve) => (this.#waiting = { n: 1, resolve }));
    this.#socket!.write(bytes);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), o.timeoutMs)));
    const r = await Promise.race([answer, timeout]);
    clearTimeout(timer);
    if (!r) this.close(); // no answer in time: the connection's state is unknown, start afresh
    return r;
  }

  close() {
    this.#closed = true;
    this.#socket?.destroy();
  }
}

/** A whole request's bytes. Headers are written exactly as given (names, case, duplicates). */
export function requestBytes(method: string, path: string, headers: [string, string][], body: Buffer | string = "", version = "HTTP/1.1"): Buffer {
  const head = `${method} ${path} ${version}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), typeof body === "string" ? Buffer.from(body, "utf8") : body]);
}

/** A body as chunked transfer coding, cut into `pieces` chunks. */
export function chunked(body: Buffer, pieces: number): Buffer {
  const out: Buffer[] = [];
  const size = Math.max(1, Math.ceil(body.length / Math.max(1, pieces)));
  for (let i = 0; i < body.length; i += size) {
    const c = body.subarray(i, i + size);
    out.push(Buffer.from(c.length.toString(16) + "\r\n"), c, Buffer.from("\r\n"));
  }
  out.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(out);
}

/**
 * The harness's own GETs (readiness, /health, /metrics at rest), each on a connection of its own
 * that is closed after the answer: the rest points count the server's descriptors, and a pooled
 * keep-alive connection (fetch keeps one for the server's 72 s) would be counted at some rests
 * and not at others. Undefined when the server does not answer.
 */
export function getOnce(port: number, path: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path, agent: false, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve(undefined));
    });
    req.on("error", () => resolve(undefined));
  });
}
