// web/onymous.js against the real onymousd: states, seq, resume, backoff, draining, TLS.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import WebSocket from "ws";

import { OnymousClient, Connection, Session, backoffDelay } from "../../../web/onymous.js";
import { Daemon, baseConfig } from "../lib/daemon.js";
import { CuttableProxy } from "../lib/proxy.js";
import { Recorder } from "../lib/recorder.js";

// A text-mode offer as a browser writes it (only m=application is allowed in text mode).
const TEXT_SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n";
const CANDIDATE = { candidate: "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host generation 0", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "Hk2a" };

const clients = [];
function makeClient(url, options = {}, name = "client") {
  const client = new OnymousClient(url, { WebSocket, pingIntervalMs: 0, ...options });
  clients.push(client);
  return { client, rec: new Recorder(client, name) };
}

function closeAll() {
  for (const c of clients.splice(0)) c.close();
}

/** Two clients matched in text mode; returns them with offerer first. */
async function pair(urlA, urlB, optionsA = {}) {
  const a = makeClient(urlA, optionsA, "A");
  const b = makeClient(urlB, {}, "B");
  a.client.join({ mode: "text" });
  await a.rec.waitFor("waiting");
  b.client.join({ mode: "text" });
  const [ma, mb] = await Promise.all([a.rec.waitFor("matched"), b.rec.waitFor("matched")]);
  assert.deepEqual([ma.role, mb.role].sort(), ["answerer", "offerer"]);
  return { a, b };
}

describe("onymous.js against onymousd", () => {
  let daemon;
  before(async () => {
    daemon = await new Daemon(baseConfig({ limits: { resume_grace: "1500ms" }, matching: { rematch_cooldown: "0s" } })).start();
  });
  after(async () => {
    closeAll();
    await daemon.stop();
  });

  test("states: hello, join, matched, relayed signals with seq, leave, partner_left, next", async () => {
    const { a, b } = await pair(daemon.wsUrl, daemon.wsUrl);
    try {
      assert.equal(a.client.connection, Connection.OPEN);
      assert.equal(a.client.session, Session.PAIRED);
      assert.equal(a.client.hello.version, 1);
      assert.equal(a.client.rtcConfiguration.iceTransportPolicy, "all");
      assert.deepEqual(a.rec.types(), ["hello", "waiting", "matched"]);
      assert.equal(a.client.lastSeq, 2); // waiting = 1, matched = 2

      a.client.signal({ type: "offer", sdp: TEXT_SDP });
      a.client.signal({ type: "candidate", candidate: CANDIDATE });
      a.client.signal({ type: "candidate", candidate: null });
      const offer = await b.rec.waitFor("signal");
      assert.deepEqual(offer, { type: "offer", sdp: TEXT_SDP, seq: 3 });
      assert.deepEqual(await b.rec.waitFor("signal"), { type: "candidate", candidate: CANDIDATE, seq: 4 });
      assert.deepEqual(await b.rec.waitFor("signal"), { type: "candidate", candidate: null, seq: 5 });
      assert.equal(b.client.lastSeq, 5);

      b.client.leave();
      assert.equal((await b.rec.waitFor("left")).seq, 6);
      assert.equal((await a.rec.waitFor("partnerleft")).seq, 3);
      assert.equal(a.client.session, Session.IDLE);
      assert.equal(b.client.session, Session.IDLE);
      assert.equal(a.client.signal({ type: "offer", sdp: TEXT_SDP }), true); // within 10 s of the end: dropped silently

      a.client.next(); // idle after partner_left: waits again with the last join's preferences
      await a.rec.waitFor("waiting");
      assert.equal(a.client.session, Session.WAITING);
      assert.equal(a.rec.count("servererror"), 0);
    } finally {
      closeAll();
    }
  });

  test("close() sends a close frame: the partner is told at once, and nothing reconnects", async () => {
    const { a, b } = await pair(daemon.wsUrl, daemon.wsUrl);
    try {
      a.client.close();
      assert.equal(a.client.connection, Connection.DISCONNECTED);
      assert.equal(a.client.session, Session.NONE);
      await b.rec.waitFor("partnerleft", () => true, 1000); // well inside the 1.5 s grace: no grace at all
      assert.equal(a.rec.count("reconnecting"), 0);
      assert.equal(a.client.signal({ type: "offer", sdp: TEXT_SDP }), false);
    } finally {
      closeAll();
    }
  });

  test("acks: after 8 messages at once, else within 500 ms; the server then keeps nothing", async () => {
    const sent = [];
    class Recording extends WebSocket {
      send(data, ...rest) {
        sent.push(JSON.parse(data));
        return super.send(data, ...rest);
      }
    }
    const acks = () => sent.filter((m) => m.type === "ack").map((m) => m.seq);
    const until = async (done, what) => {
      for (let i = 0; i < 100 && !(await done()); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(await done(), what);
    };
    const { a, b } = await pair(daemon.wsUrl, daemon.wsUrl, { WebSocket: Recording });
    try {
      // waiting (1) and matched (2): fewer than 8, so acked by time.
      const start = Date.now();
      await until(() => acks().includes(2), "seq 2 acked");
      assert.ok(Date.now() - start < 1500);
      for (let i = 0; i < 10; i++) b.client.signal({ type: "candidate", candidate: { ...CANDIDATE, usernameFragment: `u${i}` } });
      for (let i = 0; i < 10; i++) await a.rec.waitFor("signal");
      // The 8th unacknowledged message (seq 10) is acked at once, the last two by time.
      await until(() => acks().includes(12), "seq 12 acked");
      assert.deepEqual(acks(), [2, 10, 12]);
      const history = async () => {
        const text = await (await fetch(`${daemon.adminUrl}/metrics`)).text();
        return Number(/^onymous_resume_history_bytes (\d+)$/m.exec(text)[1]);
      };
      await until(async () => (await history()) === 0, "the server's resume history is empty");
    } finally {
      closeAll();
    }
  });

  test("a server error is an event and changes nothing", async () => {
    const { client, rec } = makeClient(daemon.wsUrl);
    try {
      client.connect();
      await rec.waitFor("hello");
      client.signal({ type: "offer", sdp: "not sdp" }); // still idle: the SDP check comes before the state table
      const error = await rec.waitFor("servererror");
      assert.equal(error.code, "invalid_sdp");
      assert.equal(error.ref, "offer");
      assert.equal(client.session, Session.IDLE);
    } finally {
      closeAll();
    }
  });

  test("resume after a dropped socket: the pairing survives and nothing is lost either way", async () => {
    const proxy = await new CuttableProxy(daemon.plainPort).start();
    try {
      const { a, b } = await pair(proxy.url, daemon.wsUrl, { backoff: { initialMs: 50 } });
      const roleBefore = a.client.role;
      const seqBefore = a.client.lastSeq;

      proxy.refuse = true; // the first tries fail, as on a network that is still down
      assert.equal(proxy.cut(), 2);
      const close = await a.rec.waitFor("close");
      assert.equal(close.code, 1006); // no close frame
      const retry = await a.rec.waitFor("reconnecting");
      assert.equal(retry.resume, true);
      assert.equal(a.client.connection, Connection.RECONNECTING);
      assert.equal(a.client.session, Session.PAIRED); // still, as far as we know

      // Both sides talk during the gap: B's message waits in the session's history, A's in the client.
      b.client.signal({ type: "offer", sdp: TEXT_SDP });
      assert.equal(a.client.signal({ type: "answer", sdp: TEXT_SDP }), true);
      await a.rec.waitFor("reconnecting", (d) => d.attempt >= 2);
      proxy.refuse = false;

      const resumed = await a.rec.waitFor("resumed");
      assert.deepEqual(resumed, { state: "paired", role: roleBefore });
      assert.equal(a.client.connection, Connection.OPEN);
      const replayed = await a.rec.waitFor("signal");
      assert.deepEqual(replayed, { type: "offer", sdp: TEXT_SDP, seq: seqBefore + 1 });
      assert.deepEqual(await b.rec.waitFor("signal"), { type: "answer", sdp: TEXT_SDP, seq: b.client.lastSeq });
      assert.equal(b.rec.count("partnerleft"), 0);

      // The chat goes on over the new connection, and a second drop resumes with the rotated token.
      proxy.cut();
      await a.rec.waitFor("resumed");
      b.client.signal({ type: "candidate", candidate: null });
      assert.deepEqual(await a.rec.waitFor("signal"), { type: "candidate", candidate: null, seq: seqBefore + 2 });
      assert.equal(a.rec.count("resumefailed"), 0);
    } finally {
      closeAll();
      await proxy.stop();
    }
  });

  // `ws` can drop a TCP connection (terminate); a browser's WebSocket cannot, and
  // leaves the silent socket open until the resume settles.
  class BrowserLikeWebSocket extends WebSocket {}
  Object.defineProperty(BrowserLikeWebSocket.prototype, "terminate", { value: undefined });

  for (const [kind, Impl] of [["ws", WebSocket], ["a browser-like WebSocket", BrowserLikeWebSocket]]) {
    test(`a silent connection is noticed by the ping and resumed (${kind})`, async () => {
      const proxy = await new CuttableProxy(daemon.plainPort).start();
      try {
        const { a, b } = await pair(proxy.url, daemon.wsUrl, { WebSocket: Impl, pingIntervalMs: 200, pongTimeoutMs: 300, backoff: { initialMs: 20 } });
        // Nothing comes back, nothing closes; what A still sends reaches the server,
        // so a close frame on the old connection would end the session (and fail this test).
        proxy.freeze("down");
        const retry = await a.rec.waitFor("reconnecting", () => true, 3000);
        assert.equal(retry.resume, true);
        proxy.frozen = false; // new connections pass (the old one lost what was dropped)
        assert.deepEqual(await a.rec.waitFor("resumed"), { state: "paired", role: a.client.role });
        b.client.signal({ type: "offer", sdp: TEXT_SDP });
        assert.equal((await a.rec.waitFor("signal")).type, "offer");
        assert.equal(b.rec.count("partnerleft"), 0);
        assert.equal(a.client._abandoned.length, 0); // closed once the session had moved
      } finally {
        closeAll();
        await proxy.stop();
      }
    });
  }

  test("resume after the grace fails: a fresh idle session, and the partner is told", async () => {
    const proxy = await new CuttableProxy(daemon.plainPort).start();
    try {
      const { a, b } = await pair(proxy.url, daemon.wsUrl, { backoff: { initialMs: 400, maxMs: 400 } });
      proxy.refuse = true;
      proxy.cut();
      await b.rec.waitFor("partnerleft", () => true, 4000); // resume_grace 1.5 s ran out
      proxy.refuse = false;
      assert.deepEqual(await a.rec.waitFor("resumefailed", () => true, 3000), { previous: "paired" });
      assert.equal(a.client.session, Session.IDLE);
      assert.equal(a.client.connection, Connection.OPEN);
      assert.equal(a.client.lastSeq, 0);
      a.client.next(); // a fresh session never joined: next becomes a join with the same preferences
      await a.rec.waitFor("waiting");
      assert.equal(a.rec.count("servererror"), 0);
    } finally {
      closeAll();
      await proxy.stop();
    }
  });

  test("backoff: jittered exponential delays, capped, reset after a success", async () => {
    assert.equal(backoffDelay(0, { initialMs: 100 }, () => 0), 50);
    assert.equal(backoffDelay(0, { initialMs: 100 }, () => 0.999999), 100);
    assert.equal(backoffDelay(10, { initialMs: 100, maxMs: 2000 }, () => 0), 1000);

    const proxy = await new CuttableProxy(daemon.plainPort).start();
    const delays = [];
    // Every timer but the connect deadline fires at once: the test reads the delays asked for.
    const setTimeout = (fn, ms) => {
      if (ms !== 5000) delays.push(ms);
      return globalThis.setTimeout(fn, ms === 5000 ? ms : 1);
    };
    try {
      proxy.refuse = true;
      const { client, rec } = makeClient(proxy.url, {
        backoff: { initialMs: 100, maxMs: 2000, factor: 2 },
        random: () => 0.5,
        setTimeout,
        connectTimeoutMs: 5000,
      });
      client.connect();
      assert.equal(client.connection, Connection.CONNECTING);
      await rec.waitFor("reconnecting", (d) => d.attempt === 7);
      assert.deepEqual(delays, [75, 150, 300, 600, 1200, 1500, 1500]);
      assert.equal(client.connection, Connection.CONNECTING); // never connected yet: still "connecting"
      proxy.refuse = false;
      await rec.waitFor("hello");
      delays.length = 0;
      proxy.cut();
      const retry = await rec.waitFor("reconnecting");
      assert.deepEqual([retry.attempt, retry.delayMs, retry.resume], [1, 75, true]);
      assert.deepEqual(delays, [75]);
      await rec.waitFor("resumed");
    } finally {
      closeAll();
      await proxy.stop();
    }
  });
});

describe("draining", () => {
  test("pairs keep their pairing, a waiter looks again on the next server, next() reconnects", async () => {
    const config = () => baseConfig({ shutdown: { drain_timeout: "1500ms" }, matching: { rematch_cooldown: "0s" } });
    const first = await new Daemon(config()).start();
    const proxy = await new CuttableProxy(first.plainPort).start();
    let second;
    try {
      const opts = { backoff: { initialMs: 100, maxMs: 400 } };
      const { a, b } = await pair(proxy.url, proxy.url, opts);
      const c = makeClient(proxy.url, opts, "C");
      c.client.join({ mode: "video" }); // another mode: stays waiting
      await c.rec.waitFor("waiting");

      first.signal("SIGTERM");
      for (const x of [a, b, c]) await x.rec.waitFor("draining");
      assert.equal(a.client.draining, true);
      assert.equal(a.client.session, Session.PAIRED);

      // The waiter is closed at once (1001), and looks again by itself.
      assert.equal((await c.rec.waitFor("close")).code, 1001);
      assert.deepEqual(await c.rec.waitFor("sessionended"), { previous: "waiting", reason: "draining" });
      await c.rec.waitFor("reconnecting");
      second = await new Daemon(config()).start();
      proxy.target(second.plainPort);
      await c.rec.waitFor("hello", () => true, 5000);
      await c.rec.waitFor("waiting"); // re-joined, video mode kept

      // The pair stays paired until the drain timeout, then is closed without reconnecting.
      assert.equal((await a.rec.waitFor("close", () => true, 4000)).code, 1001);
      assert.deepEqual(await a.rec.waitFor("sessionended"), { previous: "paired", reason: "draining" });
      assert.equal(a.client.connection, Connection.DISCONNECTED);
      assert.equal(a.rec.count("reconnecting"), 0);
      assert.equal((await first.exited).code, 0);

      // next() goes to the server that came up, with the same preferences.
      a.client.next();
      await a.rec.waitFor("hello");
      await a.rec.waitFor("waiting");
      assert.equal(a.client.draining, false);
    } finally {
      closeAll();
      await proxy.stop();
      await first.stop();
      if (second) await second.stop();
    }
  });

  test("next() while draining and paired leaves (the partner is told) and looks again later", async () => {
    const daemon = await new Daemon(baseConfig({ shutdown: { drain_timeout: "5s" } })).start();
    try {
      const { a, b } = await pair(daemon.wsUrl, daemon.wsUrl, { backoff: { initialMs: 100, maxMs: 200 } });
      daemon.signal("SIGTERM");
      await a.rec.waitFor("draining");
      a.client.next();
      await b.rec.waitFor("partnerleft");
      await a.rec.waitFor("left");
      assert.deepEqual(await a.rec.waitFor("sessionended"), { previous: "idle", reason: "draining" });
      assert.equal((await a.rec.waitFor("reconnecting")).resume, false);
      assert.equal(a.rec.count("servererror"), 0); // no next was sent to the draining server
    } finally {
      closeAll();
      await daemon.stop();
    }
  });
});

describe("TURN credentials", () => {
  test("matched's fresher iceServers replace hello's in rtcConfiguration", async () => {
    const secret = "another-turn-secret";
    const daemon = await new Daemon(baseConfig({
      ice: { stun: [], turn: { urls: ["turn:127.0.0.1:3478?transport=udp"], secret, ttl: "2s" } },
    })).start();
    try {
      const a = makeClient(daemon.wsUrl, {}, "A");
      a.client.join({ mode: "text" });
      await a.rec.waitFor("waiting");
      const fromHello = a.client.rtcConfiguration.iceServers[0].username;
      await new Promise((r) => setTimeout(r, 1200)); // past ttl/2: hello's credentials are due for a refresh
      const b = makeClient(daemon.wsUrl, {}, "B");
      b.client.join({ mode: "text" });
      const matched = await a.rec.waitFor("matched");
      const [fresh] = matched.rtcConfiguration.iceServers;
      assert.notEqual(fresh.username, fromHello);
      assert.ok(Number(fresh.username.split(":")[0]) > Number(fromHello.split(":")[0]));
      assert.equal(fresh.credential, createHmac("sha1", secret).update(fresh.username).digest("base64"));
      assert.deepEqual(a.client.rtcConfiguration.iceServers, matched.rtcConfiguration.iceServers);
      assert.equal(a.client.rtcConfiguration.iceTransportPolicy, "all");
    } finally {
      closeAll();
      await daemon.stop();
    }
  });
});

describe("relay-only mode and TLS", () => {
  let dir;
  let daemon;
  const secret = "turn-secret-for-this-test";
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "onymous-tls-"));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    daemon = await new Daemon(baseConfig({
      listeners: [{ address: "127.0.0.1", port: 0, tls: true }],
      tls: { certificate: path.join(dir, "cert.pem"), private_key: path.join(dir, "key.pem") },
      ice: { stun: [], turn: { urls: ["turn:127.0.0.1:3478?transport=udp"], secret, ttl: "10m" }, privacy: "relay_only" },
    })).start();
  });
  after(async () => {
    closeAll();
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("wss:// with a real certificate; hello's TURN credentials and relay policy reach rtcConfiguration", async () => {
    const ca = readFileSync(path.join(dir, "cert.pem"));
    class TlsWebSocket extends WebSocket {
      constructor(url, protocols) {
        super(url, protocols, { ca });
      }
    }
    const { client, rec } = makeClient(daemon.wssUrl, { WebSocket: TlsWebSocket });
    client.join({ mode: "text", interests: ["chess"] });
    await rec.waitFor("hello");
    await rec.waitFor("waiting");
    const config = client.rtcConfiguration;
    assert.equal(config.iceTransportPolicy, "relay");
    assert.equal(config.iceServers.length, 1);
    const [server] = config.iceServers;
    assert.deepEqual(server.urls, ["turn:127.0.0.1:3478?transport=udp"]);
    assert.match(server.username, /^\d+:[A-Za-z0-9_-]+$/);
    assert.equal(server.credential, createHmac("sha1", secret).update(server.username).digest("base64"));
    const expiry = Number(server.username.split(":")[0]);
    assert.ok(Math.abs(expiry - (Date.now() / 1000 + 600)) < 30, `expiry ${expiry}`);
  });
});
