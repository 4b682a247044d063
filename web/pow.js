// pow.js: the proof of work of the onymousd protocol (docs/protocol.md, Abuse
// controls), as a pure module for browsers, Web Workers and Node.
//
// A challenge {prefix, bits, count, expiresMs} is answered with `count`
// distinct nonces, each 1–64 printable ASCII characters, such that
// SHA-256(UTF-8(prefix + nonce)) starts with at least `bits` zero bits.
//
// SHA-256 is written out here rather than taken from crypto.subtle: one
// promise per hash would cost more than the hash, and a proof takes up to a
// few million of them. The search hashes the prefix's full 64-byte blocks
// once (the midstate), and each candidate changes only the bytes of its
// nonce, in place, in the last one or two blocks.
//
// PowSolver runs the search in a Web Worker (pow-worker.js) where there is
// one, so that the page stays responsive; elsewhere (Node, or a browser that
// refuses the worker) it searches in slices on the caller's thread.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** Bounds a challenge must be within to be worked on (the server's are far lower). */
export const MAX_BITS = 64;
export const MAX_COUNT = 64;
/** Nonces are this many characters of the base64url alphabet: 2^60 of them from any start. */
export const NONCE_LENGTH = 10;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

const W = new Int32Array(64); // the message schedule, reused

/**
 * One SHA-256 compression: `state` (8 words) is updated with the 16 words of
 * `block` starting at `offset`. The schedule is computed in the round loop
 * (measured: a quarter faster in V8 than a separate loop, and as fast as
 * unrolling the 64 rounds).
 */
function compress(state, block, offset) {
  let a = state[0], b = state[1], c = state[2], d = state[3];
  let e = state[4], f = state[5], g = state[6], h = state[7];
  for (let i = 0; i < 64; i++) {
    let w;
    if (i < 16) {
      w = block[offset + i];
    } else {
      const w15 = W[i - 15];
      const w2 = W[i - 2];
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      w = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    W[i] = w;
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + w) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

/** Big-endian words of `bytes` (a multiple of 64 long). */
function toWords(bytes) {
  const words = new Int32Array(bytes.length / 4);
  for (let i = 0; i < words.length; i++) {
    words[i] = (bytes[4 * i] << 24) | (bytes[4 * i + 1] << 16) | (bytes[4 * i + 2] << 8) | bytes[4 * i + 3];
  }
  return words;
}

/** `tail` followed by SHA-256 padding for a message of `totalLength` bytes. */
function padded(tail, totalLength) {
  const blocks = tail.length + 9 <= 64 ? 1 : 2;
  const bytes = new Uint8Array(blocks * 64);
  bytes.set(tail);
  bytes[tail.length] = 0x80;
  const bits = totalLength * 8; // exact below 2^53
  const view = new DataView(bytes.buffer);
  view.setUint32(bytes.length - 8, Math.floor(bits / 0x100000000));
  view.setUint32(bytes.length - 4, bits >>> 0);
  return bytes;
}

const encoder = new TextEncoder();

/** SHA-256 of a string (as UTF-8) or of bytes, as 32 bytes. */
export function sha256(input) {
  const bytes = typeof input === "string" ? encoder.encode(input) : input;
  const state = Int32Array.from(IV);
  const full = bytes.length - (bytes.length % 64);
  if (full) {
    const words = toWords(bytes.subarray(0, full));
    for (let off = 0; off < words.length; off += 16) compress(state, words, off);
  }
  const last = toWords(padded(bytes.subarray(full), bytes.length));
  for (let off = 0; off < last.length; off += 16) compress(state, last, off);
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) view.setInt32(4 * i, state[i]);
  return out;
}

/** The number of leading zero bits of a byte string. */
export function leadingZeroBits(bytes) {
  let n = 0;
  for (const b of bytes) {
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

/** Whether `c` is a challenge this module can work on: the fields typed and within bounds. */
export function isChallenge(c) {
  return (
    c !== null &&
    typeof c === "object" &&
    typeof c.prefix === "string" &&
    c.prefix.length <= 1024 &&
    Number.isInteger(c.bits) &&
    c.bits >= 0 &&
    c.bits <= MAX_BITS &&
    Number.isInteger(c.count) &&
    c.count >= 1 &&
    c.count <= MAX_COUNT
  );
}

/** Checks a proof as the server does: `count` distinct printable nonces of 1–64 characters, each hash with `bits` zero bits. */
export function verifyProof(challenge, nonces) {
  if (!Array.isArray(nonces) || nonces.length !== challenge.count) return false;
  if (new Set(nonces).size !== nonces.length) return false;
  return nonces.every(
    (n) => typeof n === "string" && /^[\x20-\x7e]{1,64}$/.test(n) && leadingZeroBits(sha256(challenge.prefix + n)) >= challenge.bits,
  );
}

/**
 * A search for the proof of `challenge`. `step(maxHashes)` tries at most that
 * many nonces and returns the proof once it has `count` of them, else null.
 * Nonces count up from a random start, so they are distinct, and a second
 * search of the same challenge finds other ones.
 */
export function createSearch(challenge, random = Math.random) {
  if (!isChallenge(challenge)) throw new TypeError("not a proof-of-work challenge");
  const { bits, count } = challenge;
  const prefix = encoder.encode(challenge.prefix);
  // The part of each nonce that varies must fit, with the padding, in the
  // last block, so that a candidate costs one compression: when the prefix
  // leaves too little room, the nonce starts with a fixed filler that
  // completes the block (nonces stay at most 10 + 63 - 45 = 28 characters).
  const room = 64 - (prefix.length % 64);
  const filler = room < NONCE_LENGTH + 9 ? "A".repeat(room) : "";
  const head = new Uint8Array(prefix.length + filler.length);
  head.set(prefix);
  head.set(encoder.encode(filler), prefix.length);
  const full = head.length - (head.length % 64);
  const mid = Int32Array.from(IV);
  if (full) {
    const words = toWords(head.subarray(0, full));
    for (let off = 0; off < words.length; off += 16) compress(mid, words, off);
  }
  const at = head.length - full; // where the varying part starts in the last block
  const tail = new Uint8Array(at + NONCE_LENGTH);
  tail.set(head.subarray(full));
  const digits = new Uint8Array(NONCE_LENGTH);
  for (let i = 0; i < NONCE_LENGTH; i++) {
    digits[i] = Math.floor(random() * 64) & 63;
    tail[at + i] = CODES[digits[i]];
  }
  const block = toWords(padded(tail, head.length + NONCE_LENGTH)); // one block: at + 10 + 9 <= 64
  const state = new Int32Array(8);
  const found = [];
  const fullWords = bits >>> 5; // whole words that must be zero
  const restBits = bits & 31;

  const setChar = (i) => {
    const pos = at + i;
    const shift = 24 - 8 * (pos & 3);
    const w = pos >> 2;
    block[w] = (block[w] & ~(0xff << shift)) | (CODES[digits[i]] << shift);
  };
  const advance = () => {
    for (let i = NONCE_LENGTH - 1; i >= 0; i--) {
      digits[i] = (digits[i] + 1) & 63;
      setChar(i);
      if (digits[i] !== 0) return;
    }
  };
  const nonce = () => filler + String.fromCharCode(...Array.from(digits, (d) => CODES[d]));

  return {
    hashes: 0,
    /** Tries at most `maxHashes` more nonces; the proof once complete, else null. */
    step(maxHashes = Infinity) {
      for (let n = 0; n < maxHashes && found.length < count; n++) {
        state.set(mid);
        compress(state, block, 0);
        this.hashes++;
        let ok = true;
        for (let i = 0; i < fullWords && ok; i++) ok = state[i] === 0;
        if (ok && restBits) ok = state[fullWords] >>> (32 - restBits) === 0;
        if (ok) found.push(nonce());
        advance();
      }
      return found.length >= count ? found.slice(0, count) : null;
    },
  };
}

/** Solves a challenge on this thread, blocking it until done. */
export function solve(challenge, random = Math.random) {
  return createSearch(challenge, random).step(Infinity);
}

const SLICE = 20000; // hashes between yields when solving on the caller's thread (a few ms)

/**
 * Solves challenges off the main thread: in a module Web Worker where one
 * can be made, else in slices that yield to the event loop. One search at a
 * time: a new solve() or cancel() abandons the one in progress.
 */
export class PowSolver {
  /**
   * @param {object} [options]
   * @param {Function|null} [options.Worker]  the Worker constructor (default globalThis.Worker; null: never)
   * @param {string|URL} [options.workerUrl]  default pow-worker.js next to this module
   */
  constructor({ Worker = globalThis.Worker, workerUrl = new URL("./pow-worker.js", import.meta.url) } = {}) {
    this._Worker = typeof Worker === "function" ? Worker : null;
    this._workerUrl = workerUrl;
    this._worker = null;
    this._job = null; // {id, resolve, reject}
    this._id = 0;
    this.usesWorker = false; // the last solve ran in a worker
  }

  /** Resolves with {nonces, ms, hashes}; rejects when cancelled. */
  solve(challenge) {
    this.cancel();
    const id = ++this._id;
    return new Promise((resolve, reject) => {
      this._job = { id, resolve, reject, challenge };
      if (this._Worker && this._startWorker()) {
        this.usesWorker = true;
        this._worker.postMessage({ id, challenge });
      } else {
        this.usesWorker = false;
        this._solveHere(id, challenge);
      }
    });
  }

  /** Abandons the search in progress, if any. */
  cancel() {
    const job = this._job;
    this._job = null;
    if (!job) return;
    if (this._worker && this.usesWorker) {
      // A worker deep in a search reads no messages: end it, the next solve starts another.
      this._worker.terminate();
      this._worker = null;
    }
    const e = new Error("cancelled");
    e.name = "AbortError";
    job.reject(e);
  }

  /** Ends the worker; the solver can still be used (it starts another). */
  close() {
    this.cancel();
    this._worker?.terminate();
    this._worker = null;
  }

  _startWorker() {
    if (this._worker) return true;
    try {
      const worker = new this._Worker(this._workerUrl, { type: "module" });
      worker.onmessage = ({ data }) => this._finish(data.id, data);
      worker.onerror = (event) => {
        // The worker could not load (a policy, an old browser): search here instead, from now on.
        event.preventDefault?.();
        worker.terminate();
        if (this._worker === worker) this._worker = null;
        this._Worker = null;
        const job = this._job;
        if (job && this.usesWorker) {
          this.usesWorker = false;
          this._solveHere(job.id, job.challenge);
        }
      };
      this._worker = worker;
      return true;
    } catch {
      this._Worker = null;
      return false;
    }
  }

  _finish(id, result) {
    const job = this._job;
    if (!job || job.id !== id) return; // an abandoned search
    this._job = null;
    if (result.error) job.reject(new Error(result.error));
    else job.resolve({ nonces: result.nonces, ms: result.ms, hashes: result.hashes });
  }

  _solveHere(id, challenge) {
    const start = now();
    let search;
    try {
      search = createSearch(challenge);
    } catch (e) {
      return this._finish(id, { error: e.message });
    }
    const slice = () => {
      if (!this._job || this._job.id !== id) return;
      const nonces = search.step(SLICE);
      if (nonces) this._finish(id, { nonces, ms: now() - start, hashes: search.hashes });
      else setTimeout(slice, 0);
    };
    slice();
  }
}

function now() {
  return globalThis.performance?.now() ?? Date.now();
}
