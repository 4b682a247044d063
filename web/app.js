// The chat page: the DOM and WebRTC around onymous.js, which speaks the protocol.
//
// Privacy duties kept here (docs/privacy.md, "What client developers must do"):
// the RTCPeerConnection gets hello's iceTransportPolicy unchanged; every peer
// connection makes its own DTLS certificate; no third-party anything; the
// resume token stays inside onymous.js, in memory; interests go to
// localStorage (this browser only) and to `join`, nowhere else; so does the
// confirmation of the terms gate (a version string, nothing else); what the
// stranger sends is never logged unless the debug flag is on.

import { OnymousClient, Connection, Session } from "./onymous.js";

const $ = (id) => document.getElementById(id);
const el = {
  status: $("status"),
  setup: $("setup"),
  setupForm: $("setup-form"),
  interests: $("interests"),
  interestsError: $("interests-error"),
  cameraProblem: $("camera-problem"),
  cameraProblemText: $("camera-problem-text"),
  useText: $("use-text"),
  retryCamera: $("retry-camera"),
  cameraBack: $("camera-back"),
  chat: $("chat"),
  videos: $("videos"),
  remoteVideo: $("remote-video"),
  localVideo: $("local-video"),
  mute: $("mute"),
  camera: $("camera"),
  messages: $("messages"),
  typing: $("typing"),
  composer: $("composer"),
  message: $("message"),
  send: $("send"),
  next: $("next"),
  stop: $("stop"),
  keyHint: $("key-hint"),
  termsGate: $("terms-gate"),
  termsConfirm: $("terms-confirm"),
  termsError: $("terms-error"),
  termsDone: $("terms-done"),
  report: $("report"),
  reportNote: $("report-note"),
};

// ?debug=1 or localStorage "onymous.debug" = "1": log signaling and chat to the console.
const DEBUG = new URLSearchParams(location.search).has("debug") || safeStorage("get", "onymous.debug") === "1";
const debug = DEBUG ? (...args) => console.debug("[onymous]", ...args) : () => {};

const MAX_TEXT = 2000; // characters of one chat message
const MAX_INTERESTS = 10; // the server's default matching.max_interests
const TYPING_EVERY_MS = 2000; // at most one typing notice per this
const TYPING_SHOWN_MS = 3500;
const ESC_WINDOW_MS = 3000; // the second Esc must come within this
const REPORT_AFTER_MS = 10000; // the server takes a report of the last partner this long after the pairing ended
// The version of terms.html the user confirmed; a new version asks again.
const TERMS_KEY = "onymous.terms";
const TERMS_VERSION = "1";

function safeStorage(op, key, value) {
  try {
    if (op === "get") return localStorage.getItem(key);
    localStorage.setItem(key, value);
  } catch {
    // storage off (private mode, policy): the page works without it
  }
  return null;
}

function serverUrl() {
  // An operator hosting the page elsewhere names the server in <meta name="onymous-server">.
  const meta = document.querySelector('meta[name="onymous-server"]');
  if (meta?.content) return meta.content;
  const url = new URL("/ws", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

const client = new OnymousClient(serverUrl());

// ---- page state ----
const page = {
  running: false, // between Start and Stop
  view: "ready", // the status while not running: ready, camera, no-camera, stopped
  fatal: false,
  proofFailed: false, // a join/next was refused twice for its proof of work
  mode: "text",
  interests: [],
  localStream: null,
  peer: null, // the current Peer, one per pairing
  partnerLeft: false,
  restarting: false, // the server said draining; cleared by the next hello
  commonInterests: [],
  escArmedAt: 0,
  // The pairing a report would be about: the current one, or the last one for
  // REPORT_AFTER_MS after it ended (then `endedAt` is set).
  pairing: null, // {endedAt, reported}
  reportTimer: null,
  hold: null, // {kind: "slow-down"|"suspended", until}: a join/next was refused for a while
  holdTimer: null,
  holdTicker: null,
};

// ---- one pairing: RTCPeerConnection with perfect negotiation ----
class Peer {
  constructor(config, role, mode) {
    this.polite = role === "answerer"; // PROTOCOL.md: the answerer is the polite peer
    this.mode = mode;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.tracksAdded = false;
    this.closed = false;
    this.channel = null;
    this.queue = Promise.resolve(); // signals are handled one at a time, in order
    this.lastTypingSent = 0;
    this.typingTimer = null;
    // A fresh RTCPeerConnection, so a fresh DTLS certificate: never reuse or store one.
    this.pc = new RTCPeerConnection({ iceServers: config.iceServers, iceTransportPolicy: config.iceTransportPolicy });
    const pc = this.pc;

    pc.onicecandidate = ({ candidate }) => {
      // Trickle each candidate at once; the final null is the end of candidates.
      client.signal({ type: "candidate", candidate: candidate ? candidate.toJSON() : null });
    };
    pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        await pc.setLocalDescription();
        if (this.closed) return;
        client.signal({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
      } catch (e) {
        debug("negotiation failed", e);
      } finally {
        this.makingOffer = false;
      }
    };
    pc.oniceconnectionstatechange = () => {
      debug("ice", pc.iceConnectionState);
      // Restart ICE when the path failed but both are still paired (and the server can carry the new offer).
      if (pc.iceConnectionState === "failed" && client.session === Session.PAIRED && client.connection === Connection.OPEN) {
        pc.restartIce();
      }
    };
    pc.onconnectionstatechange = () => {
      debug("connection", pc.connectionState);
      // Without the server (it drained) a dead path is the only sign that the stranger is gone.
      if (pc.connectionState === "failed" && client.session !== Session.PAIRED) partnerGone();
      render();
    };
    pc.ontrack = ({ track, streams }) => {
      el.remoteVideo.srcObject = streams[0] ?? new MediaStream([track]);
    };
    pc.ondatachannel = ({ channel }) => this.useChannel(channel);

    if (role === "offerer") {
      // Only the offerer starts: its channel (and tracks) trigger the first offer.
      this.useChannel(pc.createDataChannel("chat"));
      this.addTracks();
    }
  }

  addTracks() {
    if (this.tracksAdded || this.mode !== "video" || !page.localStream) return;
    this.tracksAdded = true;
    for (const track of page.localStream.getTracks()) this.pc.addTrack(track, page.localStream);
  }

  useChannel(channel) {
    this.channel = channel;
    channel.onopen = () => {
      enableComposer(true);
      render();
    };
    channel.onclose = () => {
      enableComposer(false);
      if (!this.closed) partnerGone();
    };
    channel.onmessage = ({ data }) => this.onChannelMessage(data);
  }

  onChannelMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (msg?.type === "text" && typeof msg.text === "string") {
      debug("stranger:", msg.text);
      showTyping(false);
      addMessage("stranger", msg.text.slice(0, MAX_TEXT));
    } else if (msg?.type === "typing") {
      showTyping(true);
    } else if (msg?.type === "bye") {
      partnerGone(); // the stranger pressed Next or Stop; faster than the server, and works while it restarts
    }
  }

  sendChannel(msg) {
    if (this.channel?.readyState !== "open") return false;
    this.channel.send(JSON.stringify(msg));
    return true;
  }

  onSignal(msg) {
    this.queue = this.queue.then(() => this.handleSignal(msg)).catch((e) => debug("signal failed", e));
  }

  async handleSignal(msg) {
    if (this.closed) return;
    const pc = this.pc;
    debug("signal in", msg.type);
    if (msg.type === "offer" || msg.type === "answer") {
      const collision = msg.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      await pc.setRemoteDescription({ type: msg.type, sdp: msg.sdp });
      if (msg.type === "offer") {
        this.addTracks(); // the answerer's tracks ride on the offered transceivers
        await pc.setLocalDescription();
        if (!this.closed) client.signal({ type: "answer", sdp: pc.localDescription.sdp });
      }
    } else if (msg.type === "candidate") {
      try {
        // null (or "") is the end of candidates
        await pc.addIceCandidate(msg.candidate ?? undefined);
      } catch (e) {
        if (!this.ignoreOffer) debug("candidate refused", e);
      }
    }
  }

  get alive() {
    return !this.closed && !["failed", "closed"].includes(this.pc.connectionState);
  }

  get chatting() {
    return !this.closed && this.channel?.readyState === "open";
  }

  close(sayBye) {
    if (this.closed) return;
    if (sayBye) this.sendChannel({ type: "bye" });
    this.closed = true;
    clearTimeout(this.typingTimer);
    this.pc.close();
  }
}

// ---- status line ----
const STATUS = {
  ready: "Choose text or video, then Start.",
  camera: "Asking for your camera…",
  connecting: "Connecting…",
  waiting: "Looking for a stranger…",
  matched: "Stranger found. Connecting…",
  connected: "You're chatting with a stranger.",
  "partner-left": "Stranger left. Press Next for someone new.",
  reconnecting: "Reconnecting…",
  restarting: "Server restarting. Your chat goes on.",
  "restarting-waiting": "Server restarting. Looking again shortly…",
  "no-camera": "No camera: continue with text, or try again.",
  stopped: "Stopped. Press Start to chat again.",
  error: "Disconnected from the server. Press Next to try again.",
  preparing: "Getting ready to look for a stranger…",
  "slow-down": "You're skipping very fast. Looking again in {s}…",
  suspended: "Strangers have reported this connection, so chat is paused for it. Try again in {time}.",
  "proof-failed": "The server did not accept this browser's check. Press Next to try again.",
};

function statusState() {
  if (!page.running) return page.view; // ready, camera, no-camera, stopped
  if (page.fatal) return "error";
  if (page.hold) return page.hold.kind;
  if (page.proofFailed) return "proof-failed";
  const peer = page.peer;
  const trying = client.connection === Connection.CONNECTING || client.connection === Connection.RECONNECTING;
  if (page.restarting && peer?.alive) return "restarting";
  if (page.restarting && trying) return "restarting-waiting";
  if (client.connection === Connection.RECONNECTING) return "reconnecting";
  if (client.connection === Connection.CONNECTING) return "connecting";
  if (client.session === Session.WAITING) return "waiting";
  if (peer) return peer.chatting ? "connected" : "matched";
  if (client.preparing) return "preparing";
  if (page.partnerLeft) return "partner-left";
  if (client.connection === Connection.DISCONNECTED) return "error";
  return "connecting"; // open and idle: the join is on its way
}

function render() {
  const state = statusState();
  let text = STATUS[state];
  if (state === "connected" && page.commonInterests.length) text += ` You both like: ${page.commonInterests.join(", ")}.`;
  if (state === "reconnecting" && page.peer?.chatting) text = "Reconnecting to the server… your chat goes on.";
  if (page.hold) text = text.replace("{s}", `${secondsLeft()} s`).replace("{time}", timeLeft());
  if (el.status.dataset.state !== state || el.status.textContent !== text) {
    el.status.dataset.state = state;
    el.status.textContent = text;
  }
  // While a join/next is refused for a while, Next would only be refused again (and a skip doubles the wait).
  el.next.disabled = !page.running || !!page.hold;
  el.stop.disabled = !page.running;
  renderReport();
}

// ---- the report button ----
// Enabled while paired, and for REPORT_AFTER_MS after the pairing ended (the
// stranger who just left is the one most often worth reporting), once per pairing.
function reportable() {
  const p = page.pairing;
  if (!page.running || !p || p.reported) return false;
  return p.endedAt === null || Date.now() - p.endedAt < REPORT_AFTER_MS;
}

function renderReport() {
  el.report.disabled = !reportable();
  el.report.textContent = page.pairing?.reported ? "Reported" : "Report";
}

function pairingStarted() {
  clearTimeout(page.reportTimer);
  page.pairing = { endedAt: null, reported: false };
  showReportNote("");
}

function pairingEnded() {
  const p = page.pairing;
  if (!p || p.endedAt !== null) return;
  p.endedAt = Date.now();
  clearTimeout(page.reportTimer);
  page.reportTimer = setTimeout(render, REPORT_AFTER_MS + 50);
}

function report() {
  if (!reportable()) return;
  const p = page.pairing;
  if (!client.report()) {
    showReportNote("Not connected to the server: the report could not be sent.");
    return;
  }
  p.reported = true; // one report per pairing: the server counts it once anyway
  showReportNote("Sending your report…");
  render();
}

function showReportNote(text) {
  el.reportNote.textContent = text;
  el.reportNote.hidden = !text;
}

// ---- refusals of join/next ----
function secondsLeft() {
  return Math.max(1, Math.ceil((page.hold.until - Date.now()) / 1000));
}

function timeLeft() {
  const s = secondsLeft();
  if (s < 90) return `${s} seconds`;
  const m = Math.ceil(s / 60);
  return m < 90 ? `${m} minutes` : `${Math.ceil(m / 60)} hours`;
}

/** The server refused our join/next for `ms`: say so, and look again once it has passed. */
function holdOff(kind, ms) {
  clearHold();
  if (!page.running) return;
  // The user asked to leave this stranger: the server still pairs us until told.
  if (client.session === Session.PAIRED) client.leave();
  closePeer(false);
  page.hold = { kind, until: Date.now() + ms };
  page.holdTimer = setTimeout(() => {
    clearHold();
    if (!page.running) return;
    client.next();
    render();
  }, ms);
  page.holdTicker = setInterval(render, 1000);
  render();
}

function clearHold() {
  clearTimeout(page.holdTimer);
  clearInterval(page.holdTicker);
  page.hold = null;
}

function setView(view) {
  page.view = view;
  render();
}

// ---- messages ----
function addMessage(who, text) {
  const item = document.createElement("li");
  item.className = `message ${who}`;
  const label = document.createElement("span");
  label.className = "who";
  label.textContent = who === "me" ? "You: " : who === "stranger" ? "Stranger: " : "";
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text; // textContent: what the stranger sends is never markup
  item.append(label, body);
  el.messages.append(item);
  el.messages.scrollTop = el.messages.scrollHeight;
}

function showTyping(on) {
  const peer = page.peer;
  el.typing.hidden = !on;
  if (peer) {
    clearTimeout(peer.typingTimer);
    if (on) peer.typingTimer = setTimeout(() => (el.typing.hidden = true), TYPING_SHOWN_MS);
  }
}

function enableComposer(on) {
  el.message.disabled = !on;
  el.send.disabled = !on;
  if (on) el.message.focus();
}

// ---- the flow ----
function readSetup() {
  const mode = el.setupForm.elements.mode.value === "video" ? "video" : "text";
  const raw = el.interests.value;
  const interests = [...new Set(raw.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean))];
  const encoder = new TextEncoder();
  let error = "";
  if (interests.length > MAX_INTERESTS) error = `At most ${MAX_INTERESTS} interests.`;
  else if (interests.some((i) => encoder.encode(i).length > 32)) error = "Each interest can be at most 32 characters.";
  return { mode, interests, raw, error };
}

// ---- the terms gate: confirmed once, remembered in this browser only ----
function termsConfirmed() {
  return safeStorage("get", TERMS_KEY) === TERMS_VERSION;
}

function renderTerms() {
  const done = termsConfirmed();
  el.termsGate.hidden = done;
  el.termsDone.hidden = !done;
}

/** Whether Start may go on: confirmed before, or the box is ticked now (then remembered). */
function passTermsGate() {
  if (termsConfirmed()) return true;
  if (!el.termsConfirm.checked) {
    el.termsError.textContent = "Please confirm that you are 18 or older and accept the terms.";
    el.termsError.hidden = false;
    el.termsConfirm.focus();
    return false;
  }
  el.termsError.hidden = true;
  safeStorage("set", TERMS_KEY, TERMS_VERSION);
  renderTerms(); // remembered: the gate gives way to a note (with storage off it stays, ticked)
  return true;
}

async function start() {
  if (!passTermsGate()) return;
  const setup = readSetup();
  el.interestsError.hidden = !setup.error;
  el.interestsError.textContent = setup.error;
  if (setup.error) return;
  safeStorage("set", "onymous.interests", setup.raw);
  safeStorage("set", "onymous.mode", setup.mode);
  page.mode = setup.mode;
  page.interests = setup.interests;

  if (page.mode === "video" && !page.localStream) {
    el.setup.hidden = true;
    setView("camera");
    try {
      page.localStream = await getCamera();
    } catch (e) {
      showCameraProblem(e);
      return;
    }
  }
  el.setup.hidden = true;
  el.cameraProblem.hidden = true;
  el.chat.hidden = false;
  el.videos.hidden = page.mode !== "video";
  el.chat.classList.toggle("video-mode", page.mode === "video");
  if (page.localStream) el.localVideo.srcObject = page.localStream;
  el.messages.replaceChildren();
  page.running = true;
  page.fatal = false;
  page.proofFailed = false;
  page.partnerLeft = false;
  page.pairing = null;
  clearHold();
  showReportNote("");
  client.join({ mode: page.mode, interests: page.interests });
  render();
}

async function getCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    const e = new Error("no mediaDevices");
    e.name = "InsecureContext";
    throw e;
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  } catch (e) {
    // A camera without a microphone still makes a video chat.
    if (e.name === "NotFoundError") return navigator.mediaDevices.getUserMedia({ video: true });
    throw e;
  }
}

function showCameraProblem(e) {
  const reasons = {
    NotAllowedError: "Camera access was refused. You can allow it in your browser's site settings and try again.",
    NotFoundError: "No camera was found on this device.",
    NotReadableError: "Your camera is in use by another application.",
    OverconstrainedError: "Your camera cannot be used for this chat.",
    InsecureContext: "Video chat needs a secure (https) page.",
  };
  el.cameraProblemText.textContent = `${reasons[e.name] ?? "Your camera could not be started."} You can still chat by text.`;
  el.chat.hidden = true;
  el.setup.hidden = true;
  el.cameraProblem.hidden = false;
  setView("no-camera");
  el.useText.focus();
}

function newPartner() {
  if (!page.running || page.hold) return; // held: Next would only be refused again
  clearHold();
  page.proofFailed = false;
  page.escArmedAt = 0;
  el.keyHint.textContent = "Enter sends · Esc twice for the next stranger";
  closePeer(true);
  page.partnerLeft = false;
  el.messages.replaceChildren();
  client.next();
  render();
}

function stop() {
  if (!page.running) return;
  closePeer(true);
  client.close();
  clearHold();
  page.running = false;
  page.pairing = null;
  showReportNote("");
  page.view = "stopped";
  page.restarting = false;
  if (page.localStream) {
    for (const t of page.localStream.getTracks()) t.stop();
    page.localStream = null;
  }
  el.localVideo.srcObject = null;
  el.chat.hidden = true;
  el.setup.hidden = false;
  render();
  el.setup.querySelector("#start").focus();
}

function closePeer(sayBye) {
  const peer = page.peer;
  page.peer = null;
  if (!peer) return;
  pairingEnded();
  peer.close(sayBye);
  el.remoteVideo.srcObject = null;
  showTyping(false);
  enableComposer(false);
}

function partnerGone() {
  if (!page.peer) return;
  closePeer(false);
  page.partnerLeft = true;
  addMessage("system", "Stranger left.");
  render();
}

function sendText() {
  const text = el.message.value.trim().slice(0, MAX_TEXT);
  if (!text || !page.peer?.sendChannel({ type: "text", text })) return;
  addMessage("me", text);
  el.message.value = "";
}

// ---- protocol events ----
client.addEventListener("statechange", render);
client.addEventListener("hello", () => {
  page.restarting = false;
  page.fatal = false;
  render();
});
client.addEventListener("matched", ({ detail }) => {
  closePeer(false);
  pairingStarted();
  page.partnerLeft = false;
  page.commonInterests = detail.interests;
  el.messages.replaceChildren();
  addMessage("system", detail.interests.length ? `Matched. You both like: ${detail.interests.join(", ")}.` : "Matched with a stranger.");
  page.peer = new Peer(detail.rtcConfiguration, detail.role, page.mode);
  render();
});
client.addEventListener("signal", ({ detail }) => page.peer?.onSignal(detail));
client.addEventListener("partnerleft", () => {
  partnerGone();
  page.partnerLeft = true;
  render();
});
client.addEventListener("draining", () => {
  page.restarting = true;
  render();
});
client.addEventListener("sessionended", ({ detail }) => {
  // A drained pairing lives on peer to peer; any other end of the session ends the pairing.
  if (detail.reason !== "draining" && detail.previous === Session.PAIRED) partnerGone();
  if (detail.reason === "fatal") page.fatal = true;
  render();
});
client.addEventListener("resumefailed", ({ detail }) => {
  // The old session is gone: its partner too; a wait starts over.
  if (detail.previous === Session.PAIRED) partnerGone();
  if (detail.previous === Session.WAITING && page.running) client.join({ mode: page.mode, interests: page.interests });
  render();
});
client.addEventListener("resumed", render);
client.addEventListener("servererror", ({ detail }) => {
  debug("server error", detail.code, detail.message);
  if (detail.ref === "report") {
    showReportNote(
      detail.code === "unknown_type"
        ? "This server does not take reports."
        : detail.code === "bad_state"
          ? "Too late to report that stranger: reports are taken up to 10 seconds after a chat ends."
          : "Your report could not be sent. Please try again.",
    );
    if (detail.code !== "unknown_type" && page.pairing) page.pairing.reported = false;
    render();
  } else if (detail.code === "invalid_proof" && page.running && !client.preparing) {
    page.proofFailed = true; // refused twice (onymous.js retries once): let the user try again
    render();
  }
});
client.addEventListener("reported", () => {
  showReportNote("Thank you. Your report was received. Press Next to meet someone else.");
  render();
});
client.addEventListener("ratelimited", ({ detail }) => holdOff("slow-down", detail.retryAfterMs));
client.addEventListener("suspended", ({ detail }) => holdOff("suspended", detail.retryAfterMs));
client.addEventListener("waiting", () => {
  page.proofFailed = false;
  render();
});
client.addEventListener("proof", ({ detail }) => debug("proof of work", detail.bits, "bits ×", detail.count, Math.round(detail.ms), "ms", detail.worker ? "(worker)" : ""));

// ---- controls ----
el.setupForm.addEventListener("submit", (e) => {
  e.preventDefault();
  start();
});
el.composer.addEventListener("submit", (e) => {
  e.preventDefault(); // Enter in the message field submits: Enter sends
  sendText();
});
el.message.addEventListener("input", () => {
  const peer = page.peer;
  if (!peer || !el.message.value) return;
  const now = Date.now();
  if (now - peer.lastTypingSent >= TYPING_EVERY_MS && peer.sendChannel({ type: "typing" })) peer.lastTypingSent = now;
});
el.next.addEventListener("click", newPartner);
el.stop.addEventListener("click", stop);
el.report.addEventListener("click", report);
el.termsConfirm.addEventListener("change", () => {
  if (el.termsConfirm.checked) el.termsError.hidden = true;
});
el.useText.addEventListener("click", () => {
  el.setupForm.elements.mode.value = "text";
  start();
});
el.retryCamera.addEventListener("click", start);
el.cameraBack.addEventListener("click", () => {
  el.cameraProblem.hidden = true;
  el.setup.hidden = false;
  setView("ready");
});
el.mute.addEventListener("click", () => toggleTracks(el.mute, "audio", "Mute", "Unmute"));
el.camera.addEventListener("click", () => toggleTracks(el.camera, "video", "Camera off", "Camera on"));

function toggleTracks(button, kind, offLabel, onLabel) {
  const pressed = button.getAttribute("aria-pressed") !== "true";
  for (const t of page.localStream?.getTracks() ?? []) if (t.kind === kind) t.enabled = !pressed;
  button.setAttribute("aria-pressed", String(pressed));
  button.textContent = pressed ? onLabel : offLabel;
}

document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape" || !page.running) return;
  e.preventDefault();
  const now = Date.now();
  if (page.escArmedAt && now - page.escArmedAt <= ESC_WINDOW_MS) {
    newPartner();
  } else {
    page.escArmedAt = now;
    el.keyHint.textContent = "Press Esc again for the next stranger";
  }
});

// ---- restore the last choices (this browser only) ----
const savedMode = safeStorage("get", "onymous.mode");
if (savedMode === "video" || savedMode === "text") el.setupForm.elements.mode.value = savedMode;
el.interests.value = safeStorage("get", "onymous.interests") ?? "";
renderTerms();
window.addEventListener("pagehide", () => {
  if (page.running) stop();
});
render();
