// One headless Chromium process per user, each with a fresh profile (MACHINE.md, Browsers and WebRTC).
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const ARTIFACTS = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../artifacts");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
];

// Runs before the page's own scripts: keeps every RTCPeerConnection for
// getStats, and records the status line's states (a MutationObserver) so
// that a test can see a state that lasted only a moment.
function instrument() {
  window.__pcs = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__pcs.push(this);
    }
  };
  window.__getUserMediaCalls = 0;
  const md = navigator.mediaDevices;
  if (md?.getUserMedia) {
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = (...args) => {
      window.__getUserMediaCalls++;
      return gum(...args);
    };
  }
  // Every Web Worker the page starts (the proof of work runs in one).
  window.__workers = [];
  const NativeWorker = window.Worker;
  if (NativeWorker) {
    window.Worker = class extends NativeWorker {
      constructor(url, options) {
        super(url, options);
        window.__workers.push(String(url));
      }
    };
  }
  window.__statusLog = [];
  document.addEventListener("DOMContentLoaded", () => {
    const status = document.getElementById("status");
    if (!status) return; // another page (privacy.html, terms.html)
    const note = () => {
      const last = window.__statusLog.at(-1);
      if (last?.state !== status.dataset.state) window.__statusLog.push({ state: status.dataset.state, text: status.textContent });
    };
    note();
    new MutationObserver(note).observe(status, { attributes: true, childList: true, characterData: true, subtree: true });
  });
}

export class User {
  /** @param {{name:string, camera?: "fake"|"refused", viewport?: {width:number,height:number}}} opts */
  constructor({ name, camera = "fake", viewport = { width: 1280, height: 800 } }) {
    this.name = name;
    this.camera = camera;
    this.viewport = viewport;
    this.console = [];
  }

  async launch() {
    this.dir = mkdtempSync(path.join(tmpdir(), `onymous-chromium-${this.name}-`));
    const args = [...FLAGS];
    // The fake UI accepts every camera prompt; without it a headless prompt is refused.
    if (this.camera === "fake") args.push("--use-fake-ui-for-media-stream");
    this.context = await chromium.launchPersistentContext(this.dir, { executablePath: CHROMIUM, headless: true, args, viewport: this.viewport });
    if (this.camera === "fake") await this.context.grantPermissions(["camera", "microphone"]);
    await this.context.addInitScript(instrument);
    this.page = this.context.pages()[0] ?? (await this.context.newPage());
    this.page.on("console", (m) => this.console.push(`${m.type()}: ${m.text()}`));
    this.page.on("pageerror", (e) => this.console.push(`pageerror: ${e.message}`));
    // What the page sends to the server and gets from it, parsed (the tests look at
    // hello, waiting, join, next and report); kept in memory, never printed.
    this.sent = [];
    this.received = [];
    this.sockets = 0;
    const parse = (list) => ({ payload }) => {
      try {
        list.push(JSON.parse(payload));
      } catch {
        // not JSON: not ours
      }
    };
    this.page.on("websocket", (ws) => {
      this.sockets++;
      ws.on("framesent", parse(this.sent));
      ws.on("framereceived", parse(this.received));
    });
    return this;
  }

  async open(url) {
    await this.page.goto(url);
    await this.page.waitForSelector("#status[data-state='ready']");
  }

  async start(mode, interests = "") {
    await this.page.check(`input[name=mode][value=${mode}]`);
    await this.page.fill("#interests", interests);
    // A fresh profile meets the terms gate before its first Start (e2e/abuse.test.js tests the gate itself).
    if (await this.page.isVisible("#terms-gate")) await this.page.check("#terms-confirm");
    await this.page.click("#start");
  }

  state(s, timeout = 15000) {
    return this.page.waitForSelector(`#status[data-state='${s}']`, { timeout });
  }

  statusLog() {
    return this.page.evaluate(() => window.__statusLog.map((s) => s.state));
  }

  async say(text) {
    await this.page.fill("#message", text);
    await this.page.press("#message", "Enter");
  }

  /** Waits for a message from the stranger with exactly this text. */
  heard(text, timeout = 10000) {
    return this.page.waitForFunction(
      (t) => [...document.querySelectorAll("#messages .message.stranger .text")].some((e) => e.textContent === t),
      text,
      { timeout },
    );
  }

  /** The selected ICE candidate pair of the newest peer connection. */
  selectedPair() {
    return this.page.evaluate(async () => {
      const pc = window.__pcs.at(-1);
      const stats = await pc.getStats();
      let pair = null;
      stats.forEach((r) => {
        if (r.type === "transport" && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
      });
      if (!pair) return null;
      const local = stats.get(pair.localCandidateId);
      const remote = stats.get(pair.remoteCandidateId);
      const locals = [];
      stats.forEach((r) => r.type === "local-candidate" && locals.push(r.candidateType));
      return {
        state: pair.state,
        local: { type: local.candidateType, address: local.address, protocol: local.protocol },
        remote: { type: remote.candidateType, address: remote.address },
        localTypes: [...new Set(locals)],
      };
    });
  }

  /** inbound-rtp video framesDecoded of the newest peer connection (0 if none). */
  framesDecoded() {
    return this.page.evaluate(async () => {
      const stats = await window.__pcs.at(-1).getStats();
      let frames = 0;
      stats.forEach((r) => {
        if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded ?? 0;
      });
      return frames;
    });
  }

  async screenshot(name, viewport) {
    mkdirSync(ARTIFACTS, { recursive: true });
    if (viewport) await this.page.setViewportSize(viewport);
    const file = path.join(ARTIFACTS, name);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close() {
    await this.context?.close().catch(() => {});
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
