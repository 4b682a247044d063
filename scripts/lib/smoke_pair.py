#!/usr/bin/python3
"""Pairs two WebSocket clients through onymousd, then sees the drain through.

Used by scripts/container-smoke (Debian's python3-websockets, no pip):

    smoke_pair.py ws://127.0.0.1:PORT/ws

1. Both clients connect (subprotocol onymous.v1) and get `hello`.
2. A joins text mode and gets `waiting`; then B joins, gets `waiting`, and
   both get `matched` with opposite roles.
3. The offerer sends an offer; the answerer gets it and answers, with one
   candidate; the offerer sends end-of-candidates. Each relayed message is
   compared field for field, `seq` included (PROTOCOL.md).
4. Prints "paired" and keeps both connections open while the caller stops
   the server: each client must get `draining`, then a close with 1001
   (one of them may hear `partner_left` just before it).

Any difference exits 1 with one line saying what was expected and what came.
"""

import asyncio
import json
import sys

import websockets

STEP_TIMEOUT = 5.0
# The caller sends SIGTERM after "paired": the drain lasts
# shutdown.drain_timeout (8 s) before paired sessions are closed.
DRAIN_TIMEOUT = 15.0

# A text-mode (data channel only) SDP; 192.0.2.0/24 is TEST-NET-1, a
# documentation prefix: nothing is ever sent there.
OFFER_SDP = (
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:smk1\r\n"
    "a=ice-pwd:smoketestsmoketestsmoke1\r\n"
    "a=fingerprint:sha-256 "
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
)
ANSWER_SDP = OFFER_SDP.replace("smk1", "smk2").replace("actpass", "active")
CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "smk2",
}
HELLO_LIMITS = {"maxMessageBytes", "maxSdpBytes", "maxInterests", "messagesPerSecond",
                "resumeGraceMs"}


class SmokeFailure(Exception):
    """What was expected and what came; main() prints it and exits 1."""


def fail(what):
    raise SmokeFailure(what)


async def receive(ws, name):
    try:
        text = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
    except asyncio.TimeoutError:
        fail(f"{name}: no message within {STEP_TIMEOUT} s")
    except websockets.ConnectionClosed as e:
        fail(f"{name}: connection closed ({e.rcvd.code if e.rcvd else 'no close frame'})")
    if not isinstance(text, str):
        fail(f"{name}: a binary frame")
    return json.loads(text)


async def expect(ws, name, expected):
    got = await receive(ws, name)
    if got != expected:
        fail(f"{name}: expected {json.dumps(expected)}, got {json.dumps(got)}")
    print(f"{name} <- {expected['type']}", flush=True)


async def send(ws, name, message):
    await ws.send(json.dumps(message))
    print(f"{name} -> {message['type']}", flush=True)


async def connect(url, name):
    ws = await websockets.connect(url, subprotocols=["onymous.v1"], open_timeout=STEP_TIMEOUT,
                                  ping_interval=None, max_size=1 << 20)
    if ws.subprotocol != "onymous.v1":
        fail(f"{name}: subprotocol {ws.subprotocol!r}, expected 'onymous.v1'")
    hello = await receive(ws, name)
    if hello.get("type") != "hello" or hello.get("version") != 1:
        fail(f"{name}: expected hello version 1, got {json.dumps(hello)}")
    token = hello.get("resume")
    if not isinstance(token, str) or len(token) < 16:
        fail(f"{name}: hello.resume is not a token: {json.dumps(hello)}")
    # The image's configuration has no STUN or TURN servers.
    if hello.get("iceServers") != [] or hello.get("iceTransportPolicy") != "all":
        fail(f"{name}: hello ICE settings: {json.dumps(hello)}")
    limits = hello.get("limits")
    if not isinstance(limits, dict) or not HELLO_LIMITS <= limits.keys():
        fail(f"{name}: hello.limits lacks {sorted(HELLO_LIMITS)}: {json.dumps(hello)}")
    print(f"{name} <- hello", flush=True)
    return ws


async def matched_role(ws, name):
    got = await receive(ws, name)
    role = got.get("role")
    expected = {"type": "matched", "role": role, "interests": [], "seq": 2}
    if role not in ("offerer", "answerer") or got != expected:
        fail(f"{name}: expected matched (offerer or answerer, no interests, seq 2), "
             f"got {json.dumps(got)}")
    print(f"{name} <- matched as {role}", flush=True)
    return role


async def see_drain(ws, name):
    try:
        text = await asyncio.wait_for(ws.recv(), DRAIN_TIMEOUT)
    except asyncio.TimeoutError:
        fail(f"{name}: no draining within {DRAIN_TIMEOUT} s")
    except websockets.ConnectionClosed as e:
        fail(f"{name}: closed ({e.rcvd.code if e.rcvd else 'no close frame'}) before draining")
    expected = {"type": "draining", "seq": 5}
    if json.loads(text) != expected:
        fail(f"{name}: expected {json.dumps(expected)}, got {text}")
    print(f"{name} <- draining", flush=True)
    # When the drain's time is up the server closes the two sessions one
    # after the other: the one closed second may first hear that its partner
    # left. Either way the connection then ends with 1001.
    partner_left = {"type": "partner_left", "seq": 6}
    heard_partner_left = False
    try:
        while True:
            extra = json.loads(await asyncio.wait_for(ws.recv(), DRAIN_TIMEOUT))
            if extra != partner_left or heard_partner_left:
                fail(f"{name}: expected a close (or {json.dumps(partner_left)}) after draining, "
                     f"got {json.dumps(extra)}")
            heard_partner_left = True
            print(f"{name} <- partner_left", flush=True)
    except asyncio.TimeoutError:
        fail(f"{name}: not closed within {DRAIN_TIMEOUT} s of draining")
    except websockets.ConnectionClosed as e:
        code = e.rcvd.code if e.rcvd else None
        if code != 1001:
            fail(f"{name}: closed with {code if code else 'no close frame'}, expected 1001")
    print(f"{name} closed with 1001", flush=True)


async def main(url):
    a = await connect(url, "A")
    b = await connect(url, "B")
    join = {"type": "join", "mode": "text", "interests": []}
    # A waits alone first, so that B's join is the one that pairs them.
    await send(a, "A", join)
    await expect(a, "A", {"type": "waiting", "seq": 1})
    await send(b, "B", join)
    await expect(b, "B", {"type": "waiting", "seq": 1})
    role_a, role_b = await asyncio.gather(matched_role(a, "A"), matched_role(b, "B"))
    if {role_a, role_b} != {"offerer", "answerer"}:
        fail(f"roles {role_a} and {role_b}: expected one offerer and one answerer")
    (offerer, o), (answerer, r) = (((a, "A"), (b, "B")) if role_a == "offerer"
                                   else ((b, "B"), (a, "A")))

    await send(offerer, o, {"type": "offer", "sdp": OFFER_SDP})
    await expect(answerer, r, {"type": "offer", "sdp": OFFER_SDP, "seq": 3})
    await send(answerer, r, {"type": "answer", "sdp": ANSWER_SDP})
    await send(answerer, r, {"type": "candidate", "candidate": CANDIDATE})
    await expect(offerer, o, {"type": "answer", "sdp": ANSWER_SDP, "seq": 3})
    await expect(offerer, o, {"type": "candidate", "candidate": CANDIDATE, "seq": 4})
    await send(offerer, o, {"type": "candidate", "candidate": None})
    await expect(answerer, r, {"type": "candidate", "candidate": None, "seq": 4})
    # pong carries no seq.
    await send(offerer, o, {"type": "ping"})
    await expect(offerer, o, {"type": "pong"})

    print("paired", flush=True)
    await asyncio.gather(see_drain(a, "A"), see_drain(b, "B"))
    print("drained", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: smoke_pair.py ws://127.0.0.1:PORT/ws", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(sys.argv[1]))
    except SmokeFailure as e:
        print(f"smoke_pair: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    except (OSError, websockets.WebSocketException, asyncio.TimeoutError) as e:
        print(f"smoke_pair: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
