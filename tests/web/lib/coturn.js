// A real coturn on 127.0.0.1 with a random free port and a random secret
// (flags from MACHINE.md; --allow-loopback-peers is for tests only).
import { spawnChild } from "./daemon.js";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** A port free for both UDP and TCP on 127.0.0.1 (coturn listens on both). */
async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const s = createSocket("udp4");
      s.once("error", reject);
      s.bind(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const tcpFree = await new Promise((resolve) => {
      const t = createServer();
      t.once("error", () => resolve(false));
      t.listen(port, "127.0.0.1", () => t.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
}

/** One STUN Binding request; resolves true when coturn answers it. */
function stunPing(port, timeoutMs = 200) {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
    request.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(request, 8);
    const timer = setTimeout(() => finish(false), timeoutMs);
    function finish(ok) {
      clearTimeout(timer);
      s.close();
      resolve(ok);
    }
    s.on("message", (m) => finish(m.length >= 20 && m.readUInt16BE(0) === 0x0101 && m.subarray(8, 20).equals(request.subarray(8, 20))));
    s.on("error", () => finish(false));
    s.send(request, port, "127.0.0.1");
  });
}

export class Coturn {
  async start() {
    this.port = await freePort();
    this.secret = randomBytes(18).toString("base64url");
    this.dir = mkdtempSync(path.join(tmpdir(), "onymous-turn-"));
    this.output = "";
    this.proc = spawnChild(
      "turnserver",
      [
        "-n", "--use-auth-secret", `--static-auth-secret=${this.secret}`, "--realm=onymous",
        "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", `--listening-port=${this.port}`,
        "--no-tls", "--no-dtls", "--no-cli", "--fingerprint", "--log-file=stdout", "--allow-loopback-peers",
        `--pidfile=${path.join(this.dir, "turnserver.pid")}`, `--userdb=${path.join(this.dir, "turndb")}`,
      ],
    );
    this.proc.stdout.on("data", (d) => (this.output += d));
    this.proc.stderr.on("data", (d) => (this.output += d));
    this.exited = new Promise((resolve) => this.proc.on("exit", (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 10000;
    while (!(await stunPing(this.port))) {
      if (this.proc.exitCode !== null) throw new Error(`turnserver exited:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`turnserver not answering STUN after 10 s:\n${this.output}`);
      await sleep(50);
    }
    return this;
  }

  /** The daemon's ice section for relay-only mode through this coturn. */
  iceConfig() {
    return {
      stun: [],
      turn: { urls: [`turn:127.0.0.1:${this.port}?transport=udp`], secret: this.secret, ttl: "10m" },
      privacy: "relay_only",
      relay_networks: ["127.0.0.0/8"],
    };
  }

  async stop() {
    if (!this.proc) return;
    if (this.proc.exitCode === null) this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
