// web/pow.js, the proof-of-work solver, checked against node:crypto: its
// SHA-256, and proofs at several difficulties and prefix lengths (the last
// block's layout changes with the prefix length).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import { sha256, leadingZeroBits, verifyProof, createSearch, solve, isChallenge, PowSolver } from "../../../web/pow.js";

const hex = (bytes) => Buffer.from(bytes).toString("hex");
const nodeSha = (s) => createHash("sha256").update(s, "utf8").digest();

/** The proof rules of docs/protocol.md, checked with node:crypto only. */
function assertProof({ prefix, bits, count }, nonces) {
  assert.equal(nonces.length, count);
  assert.equal(new Set(nonces).size, count, "distinct nonces");
  for (const n of nonces) {
    assert.match(n, /^[\x20-\x7e]{1,64}$/, "1-64 printable ASCII characters");
    const digest = nodeSha(prefix + n);
    assert.ok(leadingZeroBits(digest) >= bits, `${n}: ${digest.toString("hex")} has fewer than ${bits} zero bits`);
  }
}

test("sha256 equals node:crypto for every length 0-300 and for UTF-8 text", () => {
  for (let len = 0; len <= 300; len++) {
    const bytes = randomBytes(len);
    assert.equal(hex(sha256(bytes)), createHash("sha256").update(bytes).digest("hex"), `length ${len}`);
  }
  for (const s of ["", "abc", "é", "✓ 🙂 ", "Ωmega".repeat(40)]) assert.equal(hex(sha256(s)), nodeSha(s).toString("hex"), s);
  // FIPS 180-2's two-block example.
  assert.equal(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
});

test("leadingZeroBits", () => {
  assert.equal(leadingZeroBits(Uint8Array.of(0x80)), 0);
  assert.equal(leadingZeroBits(Uint8Array.of(0x01)), 7);
  assert.equal(leadingZeroBits(Uint8Array.of(0, 0, 0x10)), 19);
  assert.equal(leadingZeroBits(new Uint8Array(4)), 32);
});

test("proofs at 0-18 bits and several prefix lengths satisfy the rules (checked with node:crypto)", () => {
  // 22 is the length of a base64url 16-byte prefix; 46-63 leave too little room in the block for the nonce.
  const lengths = [0, 1, 22, 43, 45, 46, 50, 55, 63, 64, 65, 100, 128];
  for (const len of lengths) {
    const prefix = randomBytes(96).toString("base64url").slice(0, len);
    for (const bits of [0, 1, 4, 8, 12]) {
      const c = { prefix, bits, count: 4, expiresMs: 60000 };
      const nonces = solve(c);
      assertProof(c, nonces);
      assert.ok(verifyProof(c, nonces));
    }
  }
  for (const bits of [16, 18]) {
    const c = { prefix: randomBytes(16).toString("base64url"), bits, count: 4 };
    const t0 = performance.now();
    const search = createSearch(c);
    const nonces = search.step();
    assertProof(c, nonces);
    console.log(`# ${bits} bits × 4 on this thread: ${Math.round(performance.now() - t0)} ms, ${search.hashes} hashes`);
  }
});

test("a second search of the same challenge finds other nonces (a recomputed proof is a new one)", () => {
  const c = { prefix: "abc", bits: 8, count: 4 };
  const a = solve(c);
  const b = solve(c);
  assertProof(c, a);
  assertProof(c, b);
  assert.notDeepEqual(a, b);
});

test("verifyProof refuses what the server refuses", () => {
  const c = { prefix: "Zm9vYmFy", bits: 10, count: 3 };
  const good = solve(c);
  assert.ok(verifyProof(c, good));
  assert.equal(verifyProof(c, good.slice(0, 2)), false, "too few");
  assert.equal(verifyProof(c, [good[0], good[0], good[1]]), false, "duplicates");
  assert.equal(verifyProof({ ...c, prefix: "other" }, good), false, "another challenge");
  assert.equal(verifyProof(c, [good[0], good[1], "x".repeat(65)]), false, "too long");
  assert.equal(verifyProof(c, [good[0], good[1], ""]), false, "empty");
  // A nonce with fewer zero bits than asked.
  let weak = 0;
  while (leadingZeroBits(nodeSha(c.prefix + weak)) >= c.bits) weak++;
  assert.equal(verifyProof(c, [good[0], good[1], String(weak)]), false, "too few bits");
});

test("isChallenge: typed fields within bounds", () => {
  assert.ok(isChallenge({ prefix: "p", bits: 20, count: 4, expiresMs: 1000 }));
  for (const bad of [null, {}, { prefix: 1, bits: 1, count: 1 }, { prefix: "p", bits: -1, count: 1 }, { prefix: "p", bits: 65, count: 1 },
    { prefix: "p", bits: 1.5, count: 1 }, { prefix: "p", bits: 1, count: 0 }, { prefix: "p", bits: 1, count: 65 }]) {
    assert.equal(isChallenge(bad), false, JSON.stringify(bad));
  }
  assert.throws(() => createSearch({ prefix: "p", bits: 99, count: 1 }), TypeError);
});

test("PowSolver without a Worker (Node) solves in slices: the event loop keeps running; cancel() rejects", async () => {
  const solver = new PowSolver();
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  try {
    const c = { prefix: randomBytes(16).toString("base64url"), bits: 15, count: 4 };
    const { nonces, ms } = await solver.solve(c);
    assertProof(c, nonces);
    assert.equal(solver.usesWorker, false);
    assert.ok(ms > 0);
    assert.ok(ticks > 0, "timers ran while it solved");

    const long = solver.solve({ prefix: "x", bits: 40, count: 1 });
    await sleep(5);
    solver.cancel();
    await assert.rejects(long, { name: "AbortError" });
    // A new solve() abandons the one in progress.
    const first = solver.solve({ prefix: "y", bits: 40, count: 1 });
    const second = solver.solve({ prefix: "y", bits: 2, count: 2 });
    await assert.rejects(first, { name: "AbortError" });
    assert.equal((await second).nonces.length, 2);
  } finally {
    clearInterval(ticker);
    solver.close();
  }
});
