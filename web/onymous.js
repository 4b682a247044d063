// onymous.js: a client of the onymousd signaling protocol, version 1.
//
// No DOM, no build step, no dependencies: an ES module that runs in browsers
// and in Node (give it a WebSocket implementation there). It speaks the wire
// protocol (docs/protocol.md) and leaves WebRTC to the application: it hands
// out the RTCPeerConnection configuration and relays offer, answer and
// candidate messages both ways.
//
// What it does for you:
// - connects, keeps hello's resume token, ICE servers and limits (in memory
//   only: the token must never reach storage);
// - join / next / leave with the session state the server reports;
// - seq bookkeeping, and resume with the token and last_seq when the
//   WebSocket drops without a close frame, so a pairing survives a network
//   blip; messages sent during the blip are held and sent after the resume;
// - reconnection with jittered exponential backoff;
// - draining: on a server shutdown it keeps the pairing (the browsers' peer
//   connection does not need the server) and connects again only when the
//   application asks for a new partner, or when it was still waiting for one;
// - an application-level ping, so a dead connection is noticed;
// - acknowledgements, so the server keeps almost nothing for a resume: an ack
//   once 8 messages, or a quarter of hello.limits.maxUnackedBytes, are
//   unacknowledged, or 500 ms after the first one, whichever comes first
//   (only with a server that announces maxUnackedBytes);
// - proof of work: when hello or waiting carries a challenge, the proof for
//   it is computed at once, in a Web Worker (pow.js, pow-worker.js), so that
//   the next join or next goes out with it the moment it is asked for; an
//   invalid_proof is retried once with a proof computed afresh;
// - reports, and the refusals a join or next can meet (suspended,
//   rate_limited with retryAfterMs) as events that carry the delay.
//
// Events (all CustomEvent, data in `detail`):
//   statechange   {connection, session, role, draining}    after any change
//   hello         the hello message                        a fresh session
//   waiting       the message
//   matched       {role, interests, rtcConfiguration}
//   signal        an offer, answer or candidate message    from the partner
//   partnerleft   the message                              now idle
//   left          the message                              after leave()
//   resumed       {state, role}                            session taken back
//   resumefailed  {previous}                               a fresh idle session instead
//   draining      the message                              the server is shutting down
//   sessionended  {previous, reason}                       the server closed the session:
//                                                          reason "draining", "closed",
//                                                          "takeover" or "fatal"
//   servererror   the error message (code, message, ref)
//   reported      the message                              after report()
//   suspended     {retryAfterMs, ref}                      join/next refused: this address is suspended
//   ratelimited   {retryAfterMs, ref}                      join/next refused: skipping too fast
//   proof         {bits, count, ms, worker}                a proof of work is ready
//   reconnecting  {attempt, delayMs, resume}               a retry is scheduled
//   close         {code, reason}                           a WebSocket closed

import { PowSolver, isChallenge } from "./pow.js";

/** The connection to the server. */
export const Connection = Object.freeze({
  DISCONNECTED: "disconnected", // no socket, none planned (or stopped)
  CONNECTING: "connecting", // a fresh connection is being opened
  OPEN: "open", // hello (or resumed) received
  RECONNECTING: "reconnecting", // lost; trying to resume or to connect again
});

/** The session, as the server sees it. */
export const Session = Object.freeze({
  NONE: "none", // no session (not connected yet, or it ended)
  IDLE: "idle",
  WAITING: "waiting",
  PAIRED: "paired",
});

export const SUBPROTOCOL = "onymous.v1";

const OPEN_STATE = 1; // WebSocket.OPEN, the same in browsers and in `ws`
const FATAL_CLOSE_CODES = new Set([1003, 1007, 1008, 1009]); // the client's own fault: retrying would repeat it
const SIGNAL_TYPES = new Set(["offer", "answer", "candidate"]);
const POW_TYPES = new Set(["join", "next"]); // the messages that carry a proof
/** A challenge this close to its expiry is not used: a fresh connection brings a new one. */
export const CHALLENGE_MARGIN_MS = 1000;
/** When to acknowledge (docs/protocol.md, Acknowledgements). */
export const ACK_AFTER_MESSAGES = 8;
export const ACK_AFTER_MS = 500;

/**
 * The delay before retry number `attempt` (0-based): exponential, capped,
 * with "equal jitter" (half fixed, half random) so that a restarted server is
 * not hit by every client in the same millisecond, yet no retry comes at once.
 */
export function backoffDelay(attempt, { initialMs = 250, maxMs = 10000, factor = 2 } = {}, random = Math.random) {
  const cap = Math.min(maxMs, initialMs * Math.pow(factor, attempt));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export class OnymousClient extends EventTarget {
  /**
   * @param {string} url  ws:// or wss:// URL of the server's /ws
   * @param {object} [options]
   * @param {Function} [options.WebSocket]  constructor, default globalThis.WebSocket (Node 20: pass `ws`'s)
   * @param {{initialMs?:number,maxMs?:number,factor?:number}} [options.backoff]
   * @param {() => number} [options.random]  in [0, 1), for the jitter
   * @param {Function} [options.setTimeout] @param {Function} [options.clearTimeout]
   * @param {number} [options.pingIntervalMs]  application ping period while open (default 25 s; 0 = none)
   * @param {number} [options.pongTimeoutMs]  silence after a ping that counts as a lost connection
   * @param {number} [options.connectTimeoutMs]  from opening a socket to its hello
   * @param {{solve(challenge): Promise<{nonces: string[], ms: number}>, cancel?(): void, usesWorker?: boolean}} [options.solver]
   *        proof-of-work solver, default a PowSolver (a Web Worker where there is one)
   * @param {() => number} [options.now]  milliseconds, for challenge expiry
   */
  constructor(url, options = {}) {
    super();
    this.url = url;
    this._WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this._WebSocket !== "function") throw new TypeError("no WebSocket implementation: pass options.WebSocket");
    this._backoff = { initialMs: 250, maxMs: 10000, factor: 2, ...options.backoff };
    this._random = options.random ?? Math.random;
    this._setTimeout = options.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
    this._clearTimeout = options.clearTimeout ?? ((id) => globalThis.clearTimeout(id));
    this._pingIntervalMs = options.pingIntervalMs ?? 25000;
    this._pongTimeoutMs = options.pongTimeoutMs ?? 10000;
    this._connectTimeoutMs = options.connectTimeoutMs ?? 10000;
    this._solver = options.solver ?? null; // made when the first challenge comes
    this._now = options.now ?? (() => Date.now());

    this.connection = Connection.DISCONNECTED;
    this.session = Session.NONE;
    this.role = null; // "offerer" | "answerer" while paired
    this.draining = false; // the server of the current session is shutting down
    this.lastSeq = 0; // the highest seq received in this session
    this.hello = null; // the last hello (iceServers, iceTransportPolicy, limits)
    this.limits = null;
    this.challenge = null; // the proof-of-work challenge in force, or null
    this.preparing = false; // a join/next waits for its proof

    this._emittedDraining = false;
    this._token = null; // the resume token: memory only
    this._iceServers = [];
    this._iceTransportPolicy = "all";
    this._prefs = null; // the last join's {mode, interests}
    this._joined = false; // whether this session has ever joined (next needs it)
    this._afterConnect = null; // "join" once a fresh session is up
    this._ws = null;
    this._resuming = false; // the current socket was opened to resume
    this._attempt = 0;
    this._pending = []; // messages held while reconnecting: {msg, signal}
    this._abandoned = []; // silent sockets left open until a resume settles
    this._timers = { retry: null, ping: null, pong: null, connect: null, ack: null };
    this._acked = 0; // the highest seq acknowledged to the server
    this._unackedBytes = 0; // wire bytes of the messages above it
    this._challengeAt = 0; // when the challenge in force arrived (this._now())
    this._proof = null; // {challenge, nonces}: a proof ready for the challenge in force
    this._solveGen = 0; // the current search; a result of an older one is dropped
    this._solving = false; // a search for the challenge in force is running
    this._powHeld = null; // {msg, retried}: a join/next waiting for its proof
    this._powSent = null; // {msg, retried, proof}: a join/next sent with a proof, not yet answered
    this._helloChallenge = null; // while resuming: the fresh session's, in case the resume fails
    this._refreshed = false; // a fresh connection was opened for a new challenge since the last waiting
  }

  /** The RTCPeerConnection configuration to use now (hello's, refreshed by matched). */
  get rtcConfiguration() {
    return { iceServers: this._iceServers, iceTransportPolicy: this._iceTransportPolicy };
  }

  /** Opens a fresh connection (a new idle session) unless one is open or planned. */
  connect() {
    if (this.connection !== Connection.DISCONNECTED) return;
    this._open(false);
  }

  /** Looks for a partner: `mode` "text" or "video", optional interests. Connects when needed. */
  join({ mode = "video", interests = [] } = {}) {
    this._prefs = { mode, interests: [...interests] };
    if (this.connection === Connection.DISCONNECTED || this.draining) {
      this._afterConnect = "join";
      if (this.connection === Connection.DISCONNECTED) this._open(false);
      return;
    }
    this._control({ type: "join", mode, interests: this._prefs.interests });
  }

  /** Skips the partner (or restarts the wait) with the last join's preferences. */
  next() {
    if (!this._prefs) throw new Error("next() before any join()");
    if (this.connection === Connection.DISCONNECTED) {
      this._afterConnect = "join";
      this._open(false);
    } else if (this.draining) {
      // The draining server refuses next; leave tells the partner, and the
      // next partner is looked for on the server that comes up after it.
      this._afterConnect = "join";
      if (this.session === Session.PAIRED || this.session === Session.WAITING) this._control({ type: "leave" });
    } else {
      this._control({ type: "next" });
    }
  }

  /** Ends the pairing or the wait; the session stays connected and idle. */
  leave() {
    this._afterConnect = null;
    this._holdForProof(null);
    if (this.connection !== Connection.DISCONNECTED) this._control({ type: "leave" });
  }

  /**
   * Sends an offer, answer or candidate to the partner. Held while the
   * connection is being resumed; dropped (returns false) when there is no
   * pairing to send it to.
   */
  signal(msg) {
    if (!SIGNAL_TYPES.has(msg.type)) throw new TypeError(`not a signaling message: ${msg.type}`);
    if (this.connection === Connection.RECONNECTING && this._token) {
      this._pending.push({ msg, kind: "signal" });
      return true;
    }
    if (this.connection !== Connection.OPEN) return false;
    return this._send(msg);
  }

  /**
   * Reports the current partner, or the last one when that pairing ended
   * less than 10 s ago; the server answers `reported` (or `bad_state`).
   * Held while the connection is being resumed (it belongs to this session).
   */
  report() {
    const msg = { type: "report" };
    if (this.connection === Connection.RECONNECTING && this._token) {
      this._pending.push({ msg, kind: "session" });
      return true;
    }
    if (this.connection !== Connection.OPEN) return false;
    return this._send(msg);
  }

  /** Lets go of the current socket with a close frame (the partner is told at once). */
  _closeSocket() {
    const ws = this._ws;
    this._ws = null;
    if (!ws) return;
    this._detach(ws);
    try {
      ws.close(1000);
    } catch {
      // already closing
    }
  }

  /** Ends everything: closes the socket with a close frame (the partner is told at once), no retry. */
  close() {
    this._afterConnect = null;
    this._pending = [];
    this._clearTimers();
    this._closeSocket();
    this._settled();
    this._token = null;
    this.draining = false;
    this._setChallenge(null);
    this._powHeld = null;
    this.preparing = false;
    this._solver?.close?.();
    this._set(Connection.DISCONNECTED, Session.NONE, null);
  }

  // ---- connection ----

  _open(resume) {
    this._clearTimer("retry");
    this._resuming = resume;
    // A first connection is "connecting"; every later try, resume or not, "reconnecting".
    this._set(resume || this.connection === Connection.RECONNECTING ? Connection.RECONNECTING : Connection.CONNECTING);
    let ws;
    try {
      ws = new this._WebSocket(this.url, SUBPROTOCOL);
    } catch (e) {
      this._ws = null;
      this._scheduleRetry(resume);
      return;
    }
    this._ws = ws;
    // Handlers at once: the server's hello may come in the same read as the upgrade.
    ws.onopen = () => {
      if (resume) this._send({ type: "resume", token: this._token, last_seq: this.lastSeq }, ws);
    };
    ws.onmessage = (event) => this._onMessage(ws, event.data);
    ws.onclose = (event) => this._onClose(ws, event.code, event.reason);
    ws.onerror = () => {}; // a close event follows
    this._startTimer("connect", this._connectTimeoutMs, () => this._abandon(ws));
  }

  /** Gives up on a socket that went silent, without a close frame (which would end the session). */
  _abandon(ws) {
    if (ws !== this._ws) return;
    this._detach(ws);
    const mayHoldSession = this._resuming || this.connection === Connection.OPEN;
    if (typeof ws.terminate === "function") {
      ws.terminate(); // `ws` in Node: drops the TCP connection
    } else if (!mayHoldSession) {
      ws.close(1000); // a fresh connection that never said hello: nothing to keep
    } else {
      // A browser cannot drop a socket without a close frame, which would end
      // the session: leave it open. A successful resume makes the server close
      // it (4000); after a failed one it is closed below, in _settled().
      this._abandoned.push(ws);
    }
    this._ws = null;
    this._lost();
  }

  _detach(ws) {
    ws.onopen = ws.onmessage = ws.onerror = null;
    ws.onclose = null;
  }

  _onClose(ws, code, reason) {
    if (ws !== this._ws) return;
    this._ws = null;
    this._clearTimers();
    this._emit("close", { code, reason });
    if (code === 4000) return this._ended("takeover", false);
    if (FATAL_CLOSE_CODES.has(code)) return this._ended("fatal", false);
    if (this.draining) {
      // A drained session is closed with 1001 and is over; look again (on
      // the next server) only if it was waiting or a new partner was asked for.
      const wanted = this._afterConnect === "join" || this.session === Session.WAITING;
      return this._ended("draining", wanted);
    }
    if (code === 1000 || code === 1011) return this._ended("closed", this.session === Session.WAITING);
    // 1001 without draining is the idle timeout; 1005/1006 a drop: both leave the session in its grace.
    this._lost(code);
  }

  /** The socket is gone but the session may live on in its grace: resume it. */
  _lost() {
    this._clearTimers();
    // A join/next still waiting for its proof goes out after the resume, like one sent meanwhile.
    if (this._powHeld) this._pending.unshift({ msg: this._powHeld.msg, kind: "control" });
    this._holdForProof(null);
    if (this._token && this.session !== Session.NONE) {
      this._set(Connection.RECONNECTING);
      this._scheduleRetry(true);
    } else {
      this._scheduleRetry(false); // never got a session: plain retry
    }
  }

  /** The server ended the session with a close frame. */
  _ended(reason, reconnect) {
    const previous = this.session;
    this._token = null;
    this._pending = [];
    this._holdForProof(null);
    this._powSent = null;
    this._setChallenge(null);
    this.draining = false;
    this.lastSeq = 0;
    if (reconnect) this._afterConnect = "join";
    this._set(reconnect ? Connection.RECONNECTING : Connection.DISCONNECTED, Session.NONE, null);
    if (previous !== Session.NONE) this._emit("sessionended", { previous, reason });
    if (reconnect) this._scheduleRetry(false);
  }

  _scheduleRetry(resume) {
    const delayMs = backoffDelay(this._attempt, this._backoff, this._random);
    const attempt = ++this._attempt;
    if (this.connection !== Connection.CONNECTING) this._set(Connection.RECONNECTING);
    this._emit("reconnecting", { attempt, delayMs, resume });
    this._startTimer("retry", delayMs, () => this._open(resume && this._token !== null));
  }

  // ---- messages ----

  _onMessage(ws, data) {
    if (ws !== this._ws) return;
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return; // the server sends JSON; anything else is not ours to act on
    }
    if (msg === null || typeof msg !== "object" || typeof msg.type !== "string") return;
    this._clearTimer("pong"); // any traffic shows the connection is alive
    const sequenced = typeof msg.seq === "number";
    if (sequenced) {
      if (msg.seq <= this.lastSeq) return; // already had it (replayed)
      this.lastSeq = msg.seq;
    }
    this._dispatch(msg);
    // Acknowledged once processed: the server may then forget it.
    if (sequenced && ws === this._ws) this._received(typeof data === "string" ? data.length : 0);
  }

  _dispatch(msg) {
    switch (msg.type) {
      case "hello":
        return this._onHello(msg);
      case "resumed":
        return this._onResumed(msg);
      case "waiting":
        this._joined = true;
        this._powSent = null;
        this._refreshed = false;
        // The next join/next needs a proof for this one (none: proof of work is off).
        this._setChallenge(msg.challenge ?? null);
        this._set(undefined, Session.WAITING, null);
        this._emit("waiting", msg);
        return this._sendHeld();
      case "reported":
        return this._emit("reported", msg);
      case "matched":
        if (Array.isArray(msg.iceServers)) this._iceServers = msg.iceServers;
        this._set(undefined, Session.PAIRED, msg.role);
        return this._emit("matched", { role: msg.role, interests: msg.interests ?? [], rtcConfiguration: this.rtcConfiguration });
      case "offer":
      case "answer":
      case "candidate":
        return this._emit("signal", msg);
      case "partner_left":
        this._set(undefined, Session.IDLE, null);
        return this._emit("partnerleft", msg);
      case "left":
        this._set(undefined, Session.IDLE, null);
        return this._emit("left", msg);
      case "draining":
        this.draining = true;
        this._set();
        return this._emit("draining", msg);
      case "pong":
        return;
      case "error":
        return this._onError(msg);
      default:
        return; // unknown types are ignored (protocol: clients must ignore what they do not know)
    }
  }

  _onHello(msg) {
    this.hello = msg;
    this.limits = msg.limits ?? null;
    this._iceServers = Array.isArray(msg.iceServers) ? msg.iceServers : [];
    this._iceTransportPolicy = msg.iceTransportPolicy === "relay" ? "relay" : "all";
    if (this._resuming) {
      this._helloToken = msg.resume; // the fresh session's, in case the resume fails
      this._helloChallenge = msg.challenge ?? null;
      return;
    }
    this._clearTimer("connect");
    this._token = msg.resume;
    this._powSent = null;
    this._setChallenge(msg.challenge ?? null);
    this.lastSeq = 0;
    this._resetAcks(0);
    this._joined = false;
    this.draining = false;
    this._attempt = 0;
    this._set(Connection.OPEN, Session.IDLE, null);
    this._startPing();
    this._emit("hello", msg);
    this._flush(false);
    if (this._afterConnect === "join") {
      this._afterConnect = null;
      this._control({ type: "join", ...this._prefs });
    }
  }

  _onResumed(msg) {
    this._clearTimer("connect");
    this._resuming = false;
    this._token = msg.resume;
    this._attempt = 0;
    // The resume's last_seq acknowledged everything up to it.
    this._resetAcks(this.lastSeq);
    // The session keeps its challenge. A join/next whose answer was lost in the
    // drop was either answered in the replay (a waiting) or refused: it is not awaited any longer.
    this._powSent = null;
    this._helloChallenge = null;
    this._set(Connection.OPEN, msg.state, msg.state === Session.PAIRED ? msg.role : null);
    this._startPing();
    this._settled();
    this._emit("resumed", { state: msg.state, role: msg.role ?? null });
    this._flush(true);
  }

  _onError(msg) {
    if (msg.code === "resume_failed" && this._resuming) {
      // The new connection goes on as a fresh idle session (its hello's token).
      this._clearTimer("connect");
      const previous = this.session;
      this._resuming = false;
      this._token = this._helloToken ?? null;
      this._powSent = null;
      this._setChallenge(this._helloChallenge);
      this._helloChallenge = null;
      this.lastSeq = 0;
      this._resetAcks(0);
      this._joined = false;
      this.draining = false;
      this._attempt = 0;
      this._set(Connection.OPEN, Session.IDLE, null);
      this._startPing();
      this._settled();
      this._emit("resumefailed", { previous });
      this._flush(false);
      return;
    }
    if (POW_TYPES.has(msg.ref) && this._powSent) this._proofRefused(msg);
    if (msg.code === "draining" && (msg.ref === "join" || msg.ref === "next")) {
      // The shutdown notice may be behind our request: look again on the next server.
      this.draining = true;
      this._afterConnect = "join";
      this._set();
    }
    this._emit("servererror", msg);
    if (POW_TYPES.has(msg.ref) && typeof msg.retryAfterMs === "number") {
      if (msg.code === "suspended") this._emit("suspended", { retryAfterMs: msg.retryAfterMs, ref: msg.ref });
      else if (msg.code === "rate_limited") this._emit("ratelimited", { retryAfterMs: msg.retryAfterMs, ref: msg.ref });
    }
    this._sendHeld();
  }

  /** The session has moved (or is gone): sockets given up on may now be closed. */
  _settled() {
    for (const ws of this._abandoned.splice(0)) {
      try {
        ws.close(1000);
      } catch {
        // already closed
      }
    }
  }

  /** Sends a join/next/leave now (join/next with their proof), or holds it while the connection is being resumed. */
  _control(msg) {
    if (this.connection !== Connection.OPEN) {
      this._pending.push({ msg, kind: "control" });
      return;
    }
    if (msg.type === "next" && !this._joined) msg = { type: "join", ...this._prefs };
    if (POW_TYPES.has(msg.type) && this.challenge) return this._sendWithProof(msg, false);
    if (msg.type === "join") this._joined = true;
    this._send(msg);
  }

  /** Sends what was held during a reconnection; signals only to a resumed session (they belong to its pairing). */
  _flush(resumed) {
    const pending = this._pending;
    this._pending = [];
    for (const { msg, kind } of pending) {
      if (kind === "signal") {
        if (resumed && this.session === Session.PAIRED) this._send(msg);
      } else if (kind === "session") {
        if (resumed) this._send(msg);
      } else {
        this._control(msg);
      }
    }
  }

  // ---- proof of work ----

  /** Puts `challenge` in force (null: none) and starts computing its proof. */
  _setChallenge(challenge) {
    this._solveGen++;
    this._solving = false;
    this._proof = null;
    this._solver?.cancel?.();
    this.challenge = isChallenge(challenge) ? challenge : null;
    this._challengeAt = this._now();
    if (this.challenge) this._solve();
  }

  /** Computes the proof for the challenge in force, ahead of the join/next that will need it. */
  _solve() {
    const challenge = this.challenge;
    const gen = ++this._solveGen;
    this._proof = null;
    this._solving = true;
    this._solver ??= new PowSolver();
    this._solver.solve(challenge).then(
      ({ nonces, ms }) => {
        if (gen !== this._solveGen) return;
        this._solving = false;
        this._proof = { challenge, nonces };
        this._emit("proof", { bits: challenge.bits, count: challenge.count, ms, worker: !!this._solver.usesWorker });
        this._sendHeld();
      },
      () => {}, // cancelled: a newer challenge (or none) replaced it
    );
  }

  _challengeExpired() {
    const c = this.challenge;
    if (!c || typeof c.expiresMs !== "number") return false;
    const margin = Math.min(CHALLENGE_MARGIN_MS, c.expiresMs / 2);
    return this._now() >= this._challengeAt + c.expiresMs - margin;
  }

  _holdForProof(held) {
    this._powHeld = held;
    if (this.preparing !== !!held) {
      this.preparing = !!held;
      this._emit("statechange", { connection: this.connection, session: this.session, role: this.role, draining: this.draining });
    }
  }

  /**
   * Sends a join/next with the proof for the challenge in force: at once when
   * it is ready and no other join/next awaits its answer (the answer brings
   * the next challenge), else once it is.
   */
  _sendWithProof(msg, retried) {
    if (this._challengeExpired() && !this._refreshed) return this._refresh();
    if (this._powSent) return this._holdForProof({ msg, retried }); // its answer brings the next challenge
    if (!this._proof && !this._solving) this._solve(); // the last proof was used up (refused twice)
    if (!this._proof) return this._holdForProof({ msg, retried });
    this._holdForProof(null);
    const proof = this._proof.nonces;
    this._proof = null; // single use
    this._powSent = { msg, retried, proof, challenge: this.challenge };
    if (msg.type === "join") this._joined = true;
    this._send({ ...msg, proof });
  }

  /** Sends the held join/next if it can go now. */
  _sendHeld() {
    const held = this._powHeld;
    if (!held || this._powSent || this.connection !== Connection.OPEN) return;
    if (!this.challenge) {
      this._holdForProof(null);
      return this._control(held.msg); // proof of work was turned off
    }
    this._sendWithProof(held.msg, held.retried);
  }

  /** The join/next sent with a proof was refused. */
  _proofRefused(error) {
    const { msg, retried, proof, challenge } = this._powSent;
    this._powSent = null;
    if (error.code !== "invalid_proof") {
      // Refused before the proof was looked at, or for another reason: the challenge was not
      // redeemed, and the proof is still good for the next try. A join/next held behind
      // the refused one is dropped: sent now, it would be refused the same way (and a
      // refused skip doubles the wait); the application decides when to try again.
      if (challenge === this.challenge && !this._proof) this._proof = { challenge, nonces: proof };
      this._holdForProof(null);
      return;
    }
    if (retried) return; // twice: the servererror event tells the application
    // Once more with a proof computed afresh: for the fresh challenge the
    // server sends when the one in force had expired, else for the one in
    // force (or on a fresh connection when that has run out here).
    if (isChallenge(error.challenge)) this._setChallenge(error.challenge);
    else this._solve();
    this._holdForProof({ msg, retried: true });
  }

  /**
   * The challenge in force has expired, and only a new connection's hello
   * brings another: close this one (the partner, if any, is told at once, as
   * the join/next would have done) and look again on a fresh one.
   */
  _refresh() {
    this._refreshed = true;
    this._holdForProof(null);
    this._afterConnect = "join";
    this._clearTimers();
    this._closeSocket();
    this._token = null;
    this._pending = [];
    this._powSent = null;
    this.lastSeq = 0;
    this._setChallenge(null);
    this._set(Connection.RECONNECTING, Session.NONE, null);
    this._open(false);
  }

  _send(msg, ws = this._ws) {
    if (!ws || ws.readyState !== OPEN_STATE) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  // ---- acknowledgements ----

  /** A sequenced message of `bytes` was processed: ack now, or within ACK_AFTER_MS. */
  _received(bytes) {
    const max = this.limits?.maxUnackedBytes;
    if (typeof max !== "number") return; // a server without acks: they would be unknown_type
    this._unackedBytes += bytes;
    if (this.lastSeq - this._acked >= ACK_AFTER_MESSAGES || this._unackedBytes >= max / 4) {
      this._ack();
    } else if (this._timers.ack === null) {
      this._startTimer("ack", ACK_AFTER_MS, () => this._ack());
    }
  }

  _ack() {
    this._clearTimer("ack");
    if (this.lastSeq <= this._acked || this.connection !== Connection.OPEN) return;
    if (this._send({ type: "ack", seq: this.lastSeq })) this._resetAcks(this.lastSeq);
  }

  _resetAcks(seq) {
    this._clearTimer("ack");
    this._acked = seq;
    this._unackedBytes = 0;
  }

  // ---- liveness ----

  _startPing() {
    this._clearTimer("ping");
    if (!this._pingIntervalMs) return;
    this._startTimer("ping", this._pingIntervalMs, () => {
      const ws = this._ws;
      // One outstanding ping at a time: its deadline is not pushed back by the next one.
      if (this._timers.pong === null && this._send({ type: "ping" })) {
        this._startTimer("pong", this._pongTimeoutMs, () => this._abandon(ws));
      }
      this._startPing();
    });
  }

  _startTimer(name, ms, fn) {
    this._clearTimer(name);
    this._timers[name] = this._setTimeout(() => {
      this._timers[name] = null;
      fn();
    }, ms);
  }

  _clearTimer(name) {
    if (this._timers[name] !== null) this._clearTimeout(this._timers[name]);
    this._timers[name] = null;
  }

  _clearTimers() {
    for (const name of Object.keys(this._timers)) this._clearTimer(name);
  }

  // ---- state and events ----

  _set(connection = this.connection, session = this.session, role = session === Session.PAIRED ? this.role : null) {
    const changed = connection !== this.connection || session !== this.session || role !== this.role || this.draining !== this._emittedDraining;
    this._emittedDraining = this.draining;
    if (!changed) return;
    this.connection = connection;
    this.session = session;
    this.role = role;
    this._emit("statechange", { connection, session, role, draining: this.draining });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
