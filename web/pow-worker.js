// pow-worker.js: solves proof-of-work challenges off the page's main thread,
// so that typing, video and the Next button stay responsive while it works.
// A message {id, challenge} is answered with {id, nonces, ms, hashes} or {id, error}.
// One search at a time; the page ends the worker to abandon one.
import { createSearch } from "./pow.js";

self.onmessage = ({ data }) => {
  const start = performance.now();
  try {
    const search = createSearch(data.challenge);
    const nonces = search.step();
    self.postMessage({ id: data.id, nonces, ms: performance.now() - start, hashes: search.hashes });
  } catch (e) {
    self.postMessage({ id: data.id, error: String(e?.message ?? e) });
  }
};
