// A scripted stand-in for onymousd's abuse controls (docs/protocol.md, Abuse
// controls), to test onymous.js's side of the contract while the daemon does
// not implement it, and to reach cases the daemon makes hard to provoke (a
// refusal of a good proof, an expiry). It speaks only what these tests need:
// hello, join/next with proof checked by node:crypto, waiting with the next
// challenge, pairing of two waiters, leave, report, ping. With `webRoot` it
// also serves the page from that folder, under the daemon's own
// Content-Security-Policy, so that Chromium can run the page against it
// (offers, answers and candidates are not relayed: pages get as far as
// "matched").
import { WebSocketServer } from "ws";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createHash, randomBytes } from "node:crypto";

// As server/web/static_reply.cpp sends it.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "font-src 'self'; manifest-src 'self'; media-src 'self' blob: mediastream:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const TYPES = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", svg: "image/svg+xml" };

function zeroBits(digest) {
  let n = 0;
  for (const b of digest) {
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

/** Checks a proof with node:crypto, independently of web/pow.js: null if good, else why not. */
export function checkProof(challenge, proof) {
  if (!Array.isArray(proof)) return "no proof";
  if (proof.length !== challenge.count) return "wrong count";
  if (new Set(proof).size !== proof.length) return "duplicates";
  for (const n of proof) {
    if (typeof n !== "string" || !/^[\x20-\x7e]{1,64}$/.test(n)) return "bad nonce";
    if (zeroBits(createHash("sha256").update(challenge.prefix + n, "utf8").digest()) < challenge.bits) return "too few bits";
  }
  return null;
}

export class ContractServer {
  /** @param {{bits?: number, count?: number, expiresMs?: number}} [options] */
  constructor({ bits = 8, count = 4, expiresMs = 120000, webRoot = null } = {}) {
    this.webRoot = webRoot;
    this.bits = bits;
    this.count = count;
    this.expiresMs = expiresMs;
    this.received = []; // every client message, in order: {conn, msg}
    this.refusals = []; // errors to answer the next join/next with (before the proof is checked), e.g. {code:"suspended", retryAfterMs:5000}
    this.connections = 0;
    this.sessions = new Set();
  }

  async start() {
    this.http = createServer((req, res) => this._serve(req, res));
    this.wss = new WebSocketServer({ server: this.http, path: "/ws" });
    await new Promise((resolve) => this.http.listen(0, "127.0.0.1", resolve));
    const port = this.http.address().port;
    this.url = `ws://127.0.0.1:${port}/ws`;
    this.httpUrl = `http://127.0.0.1:${port}`;
    this.wss.on("connection", (ws) => this._accept(ws));
    return this;
  }

  async stop() {
    for (const client of this.wss.clients) client.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
    await new Promise((resolve) => this.http.close(resolve));
  }

  async _serve(req, res) {
    const name = new URL(req.url, "http://x").pathname.replace(/^\/$/, "/index.html").slice(1);
    const type = TYPES[path.extname(name).slice(1)];
    if (!this.webRoot || !type || name.includes("..") || name.includes("/")) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(path.join(this.webRoot, name));
      res.writeHead(200, { "Content-Type": type, "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  }

  challenge() {
    return { prefix: randomBytes(16).toString("base64url"), bits: this.bits, count: this.count, expiresMs: this.expiresMs };
  }

  messages(type) {
    return this.received.filter((r) => r.msg.type === type).map((r) => r.msg);
  }

  _accept(ws) {
    const conn = { id: ++this.connections, ws, seq: 0, state: "idle", partner: null, challenge: this.challenge(), redeemed: new Set(), ended: null };
    this.sessions.add(conn);
    ws.on("close", () => {
      this.sessions.delete(conn);
      this._unpair(conn);
    });
    ws.on("message", (data) => this._onMessage(conn, JSON.parse(data)));
    this._send(conn, { type: "hello", version: 1, resume: randomBytes(16).toString("hex"), iceServers: [], iceTransportPolicy: "all", limits: {}, challenge: conn.challenge }, false);
  }

  _send(conn, msg, sequenced = true) {
    if (sequenced) msg.seq = ++conn.seq;
    conn.ws.send(JSON.stringify(msg));
  }

  _error(conn, code, ref, extra = {}) {
    this._send(conn, { type: "error", code, message: code, ref, ...extra }, false);
  }

  _onMessage(conn, msg) {
    this.received.push({ conn: conn.id, msg });
    switch (msg.type) {
      case "join":
      case "next": {
        const refusal = this.refusals.shift();
        if (refusal) return this._error(conn, refusal.code, msg.type, refusal);
        const why = conn.redeemed.has(conn.challenge.prefix) ? "redeemed" : checkProof(conn.challenge, msg.proof);
        if (why) return this._error(conn, "invalid_proof", msg.type); // the challenge in force stays the same
        conn.redeemed.add(conn.challenge.prefix);
        this._unpair(conn);
        conn.state = "waiting";
        conn.challenge = this.challenge();
        this._send(conn, { type: "waiting", challenge: conn.challenge });
        return this._match(conn);
      }
      case "leave":
        this._unpair(conn);
        conn.state = "idle";
        return this._send(conn, { type: "left" });
      case "report":
        if (conn.state === "paired" || (conn.ended && Date.now() - conn.ended < 10000)) return this._send(conn, { type: "reported" }, false);
        return this._error(conn, "bad_state", "report");
      case "ping":
        return this._send(conn, { type: "pong" }, false);
      default:
        return; // ack, signals: not needed here
    }
  }

  _match(conn) {
    for (const other of this.sessions) {
      if (other !== conn && other.state === "waiting") {
        conn.state = other.state = "paired";
        conn.partner = other;
        other.partner = conn;
        this._send(other, { type: "matched", role: "offerer", interests: [] });
        this._send(conn, { type: "matched", role: "answerer", interests: [] });
        return;
      }
    }
  }

  _unpair(conn) {
    const partner = conn.partner;
    if (!partner) return;
    conn.partner = partner.partner = null;
    conn.ended = partner.ended = Date.now();
    partner.state = "idle";
    if (partner.ws.readyState === 1) this._send(partner, { type: "partner_left" });
    conn.state = "idle";
  }
}
