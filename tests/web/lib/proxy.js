// A TCP proxy between clients and the daemon that a test controls:
// - cut() resets every connection at once, so no WebSocket close frame
//   passes (as in a network drop), and keeps listening for the comeback;
// - refuse = true resets new connections as soon as they arrive;
// - freeze() stops forwarding without closing anything (a dead path);
//   freeze("down") only from the server to the clients, so that whatever a
//   client still sends (a close frame, say) reaches the server;
// - target(port) points new connections at another daemon.
import { createServer, connect } from "node:net";

export class CuttableProxy {
  constructor(targetPort, targetHost = "127.0.0.1") {
    this.targetPort = targetPort;
    this.targetHost = targetHost;
    this.sockets = new Set();
    this.accepted = 0;
    this.refuse = false;
    this.frozen = false; // false, "both" or "down"
  }

  start() {
    this.server = createServer((client) => {
      this.accepted++;
      if (this.refuse) {
        client.on("error", () => {});
        client.resetAndDestroy();
        return;
      }
      const upstream = connect(this.targetPort, this.targetHost);
      for (const [from, to, direction] of [[client, upstream, "up"], [upstream, client, "down"]]) {
        this.sockets.add(from);
        from.on("error", () => {});
        from.on("close", () => {
          this.sockets.delete(from);
          if (!to.destroyed) to.resetAndDestroy();
        });
        from.on("data", (chunk) => {
          const frozen = this.frozen === "both" || this.frozen === direction;
          if (!frozen && !to.destroyed) to.write(chunk);
        });
      }
    });
    return new Promise((resolve) =>
      this.server.listen(0, "127.0.0.1", () => {
        this.port = this.server.address().port;
        resolve(this);
      }),
    );
  }

  target(port) {
    this.targetPort = port;
  }

  /** Resets every connection (RST to both ends): no close frame passes. Returns how many sockets. */
  cut() {
    const n = this.sockets.size;
    for (const s of [...this.sockets]) s.resetAndDestroy();
    this.frozen = false;
    return n;
  }

  freeze(direction = "both") {
    this.frozen = direction;
  }

  get url() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  stop() {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
