// The chat page in headless Chromium, one browser process per user, against
// onymousd (which serves web/ itself) in relay-only mode with a real coturn
// on 127.0.0.1: every media path is a loopback TURN relay.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

import { Daemon, baseConfig } from "../lib/daemon.js";
import { Coturn } from "../lib/coturn.js";
import { CuttableProxy } from "../lib/proxy.js";
import { User } from "../lib/browser.js";

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 667 };

let coturn;
let daemon;
let pageUrl; // where the browsers load the page (and so the WebSocket) from
const users = [];

async function user(name, opts = {}) {
  const u = await new User({ name, ...opts }).launch();
  users.push(u);
  return u;
}

async function assertRelayPair(u) {
  // The pair is selected once its checks start; on a loaded machine its
  // state may still say in-progress for a moment after media flows.
  let pair = await u.selectedPair();
  for (let i = 0; i < 50 && pair && pair.state === "in-progress"; i++) {
    await sleep(100);
    pair = await u.selectedPair();
  }
  assert.ok(pair, `${u.name}: no selected candidate pair`);
  assert.equal(pair.state, "succeeded");
  assert.deepEqual([pair.local.type, pair.remote.type], ["relay", "relay"], `${u.name}: ${JSON.stringify(pair)}`);
  assert.equal(pair.local.address, "127.0.0.1");
  assert.equal(pair.remote.address, "127.0.0.1");
  assert.deepEqual(pair.localTypes, ["relay"], `${u.name} gathered only relay candidates`);
}

/** Every console line of every browser: nothing the strangers said may be in them. */
function assertNotLogged(...texts) {
  for (const u of users) for (const line of u.console) for (const t of texts) assert.ok(!line.includes(t), `${u.name} logged "${line}"`);
}

before(async () => {
  coturn = await new Coturn().start();
  daemon = await new Daemon(baseConfig({ ice: coturn.iceConfig(), shutdown: { drain_timeout: "4s" } })).start();
  pageUrl = daemon.httpUrl + "/"; // GET / is web/index.html, served by onymousd from web.root
});

after(async () => {
  if (process.env.ONYMOUS_WEB_VERBOSE) for (const u of users) console.log(u.name, u.console);
  await Promise.all(users.map((u) => u.close()));
  await daemon?.stop();
  await coturn?.stop();
});

let A, B, C;

test("two browsers are matched and text goes both ways over the data channel, relay to relay", async () => {
  [A, B] = await Promise.all([user("A"), user("B")]);
  await Promise.all([A.open(pageUrl), B.open(pageUrl)]);
  await A.screenshot("start-desktop.png", DESKTOP);
  await B.screenshot("start-phone.png", PHONE);
  await B.page.setViewportSize(DESKTOP);
  await A.start("text", "chess, Music");
  await A.state("waiting");
  await B.start("text", "music");
  await Promise.all([A.state("connected"), B.state("connected")]);
  assert.match(await A.page.textContent("#status"), /chatting with a stranger.*You both like: music\./);
  assert.equal(await A.page.isVisible("#videos"), false); // text mode: no video, and no camera asked for
  for (const u of [A, B]) {
    assert.equal(await u.page.evaluate(() => window.__pcs.at(-1).getTransceivers().length), 0);
    assert.equal(await u.page.evaluate(() => window.__getUserMediaCalls), 0, `${u.name} asked for a camera in text mode`);
  }
  // Every control has an accessible name; the status is a polite live region.
  const unnamed = await A.page.evaluate(() =>
    [...document.querySelectorAll("button, input, video")]
      .filter((e) => !(e.labels?.length || e.getAttribute("aria-label") || e.textContent.trim()))
      .map((e) => e.id || e.outerHTML),
  );
  assert.deepEqual(unnamed, []);
  assert.deepEqual(await A.page.evaluate(() => ["role", "aria-live"].map((a) => document.getElementById("status").getAttribute(a))), ["status", "polite"]);

  await A.say("hello from A");
  await B.heard("hello from A");
  await B.page.fill("#message", "typing…");
  await B.page.type("#message", "x");
  await A.page.waitForSelector("#typing:not([hidden])");
  await B.say("hi A, this is B");
  await A.heard("hi A, this is B");
  await A.page.waitForSelector("#typing[hidden]", { state: "attached" });
  await B.screenshot("text-phone.png", PHONE);
  await B.page.setViewportSize(DESKTOP);

  await assertRelayPair(A);
  await assertRelayPair(B);
  // Interests are remembered in this browser only.
  assert.equal(await A.page.evaluate(() => localStorage.getItem("onymous.interests")), "chess, Music");
  assertNotLogged("hello from A", "hi A, this is B");
});

test("Esc twice (Next) pairs one of them with a third browser; the other sees the stranger leave", async () => {
  C = await user("C");
  await C.open(pageUrl);
  await A.page.focus("#message");
  await A.page.keyboard.press("Escape");
  assert.match(await A.page.textContent("#key-hint"), /Esc again/);
  await A.page.keyboard.press("Escape");
  await B.state("partner-left");
  await A.state("waiting");
  await C.start("text");
  await Promise.all([A.state("connected"), C.state("connected")]);
  await C.say("C here");
  await A.heard("C here");
  await A.say("hello C");
  await C.heard("hello C");
  await assertRelayPair(C);
  // B had no new partner: A and B are in their re-match cooldown, and C is taken.
  assert.equal(await B.page.getAttribute("#status", "data-state"), "partner-left");
  assert.equal(await A.page.locator("#messages .message.stranger").count(), 1); // the log starts afresh per stranger
});

test("Stop ends the chat for both and returns to the start screen", async () => {
  await C.page.click("#stop");
  await C.state("stopped");
  assert.equal(await C.page.isVisible("#setup"), true);
  assert.equal(await C.page.isVisible("#chat"), false);
  await A.state("partner-left");
  assert.equal(await A.page.isDisabled("#message"), true);
});

test("a WebSocket cut without a close frame resumes, and the chat goes on through the server", async () => {
  const proxy = await new CuttableProxy(daemon.plainPort).start();
  try {
    // A loads the page (and so its WebSocket) through the proxy; B directly.
    await A.open(proxy.httpUrl + "/");
    await B.page.click("#next"); // B looks again; A starts fresh
    await A.start("text");
    await Promise.all([A.state("connected"), B.state("connected")]);
    const before = await A.page.evaluate(() => window.__pcs.at(-1).remoteDescription.sdp.match(/a=ice-ufrag:(\S+)/)[1]);

    assert.ok(proxy.cut() >= 2);
    await A.page.waitForFunction(() => window.__statusLog.some((s) => s.state === "reconnecting"));
    await A.state("connected");
    await B.say("still there?");
    await A.heard("still there?");

    // Signaling works again: an ICE restart is a new offer and answer through the resumed session.
    await A.page.evaluate(() => window.__pcs.at(-1).restartIce());
    await A.page.waitForFunction(
      (old) => {
        const pc = window.__pcs.at(-1);
        const ufrag = pc.remoteDescription?.sdp.match(/a=ice-ufrag:(\S+)/)?.[1];
        return pc.signalingState === "stable" && ufrag && ufrag !== old;
      },
      before,
      { timeout: 10000 },
    );
    await A.page.waitForFunction(() => window.__pcs.at(-1).connectionState === "connected");
    await A.say("after the restart");
    await B.heard("after the restart");
    assert.ok(proxy.accepted >= 2, "A came back through the proxy");
    assert.equal(await B.page.getAttribute("#status", "data-state"), "connected"); // B never saw A leave
    assert.ok(!(await B.statusLog()).slice(-3).includes("partner-left"));
    await assertRelayPair(A);
    await A.page.click("#stop");
    await B.state("partner-left");
  } finally {
    await proxy.stop();
  }
});

test("camera refused: a friendly message and a way on in text mode", async () => {
  const D = await user("D", { camera: "refused" });
  await D.open(pageUrl);
  // The privacy note's link is served too.
  await D.page.click("text=How your privacy is protected");
  await D.page.waitForSelector("text=What this chat keeps about you");
  await D.open(pageUrl);
  await D.start("video");
  await D.state("no-camera");
  assert.match(await D.page.textContent("#camera-problem-text"), /refused|No camera|could not/);
  await D.page.click("#use-text");
  await D.state("waiting");
  assert.equal(await D.page.isVisible("#videos"), false);
  assert.equal(await D.page.evaluate(() => localStorage.getItem("onymous.mode")), "text");
  await D.page.click("#stop");
  assert.deepEqual(D.console, []);
  await D.close();
  users.splice(users.indexOf(D), 1);
});

test("video: each browser decodes the other's fake camera over the relay; screenshots", async () => {
  await Promise.all([A.open(pageUrl), B.open(pageUrl)]);
  await B.page.setViewportSize(PHONE);
  await A.start("video", "cameras");
  await B.start("video", "cameras");
  await Promise.all([A.state("connected", 20000), B.state("connected", 20000)]);
  for (const u of [A, B]) {
    await u.page.waitForFunction(async () => {
      const stats = await window.__pcs.at(-1).getStats();
      let frames = 0;
      stats.forEach((r) => r.type === "inbound-rtp" && r.kind === "video" && (frames += r.framesDecoded ?? 0));
      return frames > 0;
    }, null, { timeout: 15000, polling: 250 });
    await assertRelayPair(u);
    await u.page.waitForFunction(() => document.getElementById("remote-video").videoWidth > 0);
  }

  await A.page.click("#mute");
  assert.equal(await A.page.getAttribute("#mute", "aria-pressed"), "true");
  assert.equal(await A.page.evaluate(() => document.getElementById("local-video").srcObject.getAudioTracks()[0].enabled), false);
  await A.page.click("#mute");
  await A.say("can you see me?");
  await B.heard("can you see me?");
  await B.say("yes!");
  await A.heard("yes!");

  await A.screenshot("video-desktop.png", DESKTOP);
  await A.screenshot("video-phone.png", PHONE);
  await B.screenshot("video-phone-b.png", PHONE);
  await B.screenshot("video-desktop-b.png", DESKTOP);
  await A.page.setViewportSize(DESKTOP);
});

test("SIGTERM: both show the server restarting, and the open chat keeps working peer to peer", async () => {
  const framesBefore = await B.framesDecoded();
  daemon.signal("SIGTERM");
  await Promise.all([A.state("restarting"), B.state("restarting")]);
  assert.match(await A.page.textContent("#status"), /Server restarting/);
  await A.screenshot("restarting-desktop.png");
  const exit = await daemon.exited; // the drain timeout closes the paired sessions, then it exits
  assert.equal(exit.code, 0);
  await A.say("the server is gone");
  await B.heard("the server is gone");
  await B.say("we are still here");
  await A.heard("we are still here");
  await sleep(500);
  assert.ok((await B.framesDecoded()) > framesBefore, "video still flows");
  assert.equal(await A.page.getAttribute("#status", "data-state"), "restarting");
  assertNotLogged("the server is gone", "we are still here", "can you see me?");
  // Nothing at all on any console: no logs, no CSP violations, no uncaught errors.
  for (const u of users) assert.deepEqual(u.console, [], u.name);
});
