// Records every event of an OnymousClient so that a test can wait for them in
// order without racing: waitFor() looks from the last event it consumed on.
export const EVENT_TYPES = [
  "statechange", "hello", "waiting", "matched", "signal", "partnerleft", "left", "resumed",
  "resumefailed", "draining", "sessionended", "servererror", "reconnecting", "close",
  "reported", "suspended", "ratelimited", "proof",
];

export class Recorder {
  constructor(client, name = "client") {
    this.name = name;
    this.events = [];
    this.cursor = 0;
    this.waiters = new Set();
    for (const type of EVENT_TYPES) {
      client.addEventListener(type, (e) => {
        this.events.push({ type, detail: e.detail, at: Date.now() });
        for (const w of [...this.waiters]) w();
      });
    }
  }

  /** Resolves with the detail of the next `type` event (after the cursor) that passes `pred`. */
  waitFor(type, pred = () => true, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = this.cursor; i < this.events.length; i++) {
          const e = this.events[i];
          if (e.type === type && pred(e.detail)) {
            this.cursor = i + 1;
            this.waiters.delete(check);
            clearTimeout(timer);
            resolve(e.detail);
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.name}: no ${type} within ${timeoutMs} ms; saw ${this.types(this.cursor).join(", ")}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** Types of the events from index `from` on, statechange left out. */
  types(from = 0) {
    return this.events.slice(from).filter((e) => e.type !== "statechange").map((e) => e.type);
  }

  count(type) {
    return this.events.filter((e) => e.type === type).length;
  }
}
