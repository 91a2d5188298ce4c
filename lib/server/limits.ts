// The HTTP server's connection limits, chosen for a judge: a reply can take minutes with no byte on
// the wire (long reasoning), so nothing times out a connection that is waiting for its answer;
// what is bounded is how long a client may take to *send* its request and how long an idle
// keep-alive connection is kept. Measured with bench/http-fuzz.ts (RELIABILITY.md).
export const SERVER_LIMITS = {
  /**
   * No socket inactivity timeout (fastify's connectionTimeout, 0 = off): it would also cut a
   * connection waiting for a long judgment. --request-timeout (504) bounds the work instead.
   */
  connectionTimeout: 0,
  /**
   * Idle keep-alive connections are closed after 72 s (fastify's default, kept on purpose): longer
   * than the 60 s idle timeout of common load balancers and than client pools (httpx 5 s, aiohttp
   * 15 s), so the client, not the server, closes an idle connection and no request races a close.
   * An idle connection costs a descriptor and a few KiB: 1,000 of them are measured as harmless.
   */
  keepAliveTimeout: 72_000,
  /**
   * The whole request (headers and body) must arrive within 60 s: a 4 MiB body needs about
   * 0.5 Mbit/s. A slow-body client is cut with 408 then; until then it costs one socket and no
   * judging. Node enforces it only while the request is being received, not while it is answered.
   */
  requestTimeout: 60_000,
  /** Headers within 10 s (Node's default is 60 s): a client that trickles headers is cut sooner. */
  headersTimeout: 10_000,
  /** How often Node checks the two timeouts above (its default, 30 s, would let them overrun by that). */
  connectionsCheckingInterval: 2_000,
} as const;
