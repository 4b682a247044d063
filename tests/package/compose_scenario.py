#!/usr/bin/python3
"""The chat page and two clients through docs/examples/compose's stack, and
the TURN credentials they are handed, on that stack's coturn. Run by
tests/package/compose-test once the stack is healthy.

usage: compose_scenario.py ONYMOUS_PORT TURN_PORT SECRET_FILE SEEN_FILE

SEEN_FILE receives, one per line, what the stack's logs must never hold: the
resume tokens and TURN usernames handed out, and the markers of the SDP and
candidates relayed (the caller greps the containers' logs for them).

The stack runs the shipped onymousd.yaml: relay-only mode, TURN URLs of
turn.example.org (an example name: the credentials are tried on the test's
coturn at 127.0.0.1:TURN_PORT instead), relay networks 203.0.113.10/32.
"""

import asyncio
import base64
import hashlib
import hmac
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))

from onymous_client import (HOST_CANDIDATE, RELAY_CANDIDATE, USER_DATA_MARKERS,  # noqa: E402
                            Failure, connect, fail, negotiate, pair)

STUN_URLS = ["stun:turn.example.org:3478"]
TURN_URLS = ["turn:turn.example.org:3478?transport=udp", "turn:turn.example.org:3478?transport=tcp"]
TTL_S = 600  # ice.turn.ttl: 10m


def check_ice(client, secret):
    """hello's ICE settings, exactly: relay only, the configured servers, and
    TURN REST credentials made with the stack's secret. Returns them."""
    hello = client.hello
    if hello.get("iceTransportPolicy") != "relay":
        fail(f"{client.name}: iceTransportPolicy {hello.get('iceTransportPolicy')!r}, expected 'relay'")
    servers = hello.get("iceServers")
    turn = servers[1] if isinstance(servers, list) and len(servers) == 2 else {}
    expected = [{"urls": STUN_URLS},
                {"urls": TURN_URLS, "username": turn.get("username"),
                 "credential": turn.get("credential")}]
    if servers != expected:
        fail(f"{client.name}: iceServers {servers}, expected the shape {expected}")
    username = turn["username"]
    match = re.fullmatch(r"([0-9]+):[A-Za-z0-9_-]+", username or "")
    if not match or abs(int(match.group(1)) - (time.time() + TTL_S)) > 60:
        fail(f"{client.name}: TURN username {username!r} is not '<now + {TTL_S} s>:<random>'")
    made = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest())
    if turn["credential"] != made.decode():
        fail(f"{client.name}: the TURN credential is not HMAC-SHA1(the stack's secret, username)")
    print(f"{client.name}: relay only, TURN credentials of the stack's secret", flush=True)
    return username, turn["credential"]


def allocate(turn_port, username, credential):
    """turnutils_uclient's verdict (it exits 0 either way: its output tells)."""
    result = subprocess.run(
        ["turnutils_uclient", "-u", username, "-w", credential, "-p", str(turn_port),
         "-n", "1", "-m", "1", "-y", "-c", "127.0.0.1"],
        capture_output=True, text=True, timeout=60)
    out = result.stdout + result.stderr
    if "Total lost packets 0" in out and "Cannot complete Allocation" not in out:
        return "allocated"
    if "Cannot complete Allocation" in out:
        return "refused"
    fail(f"turnutils_uclient: neither outcome in its output:\n{out[-2000:]}")


def chat_page(port):
    """GET / on the stack's published port is the package's web/index.html."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as reply:
            body, status = reply.read(), reply.status
    except urllib.error.HTTPError as e:
        fail(f"GET /: status {e.code}, expected 200 and web/index.html (web.root unset?)")
    with open(os.path.join(ROOT, "web", "index.html"), "rb") as f:
        if status != 200 or body != f.read():
            fail(f"GET /: status {status}, {len(body)} bytes: not web/index.html")
    print(f"GET / -> 200, web/index.html ({len(body)} bytes)", flush=True)


async def scenario(port, turn_port, secret, seen):
    url = f"ws://127.0.0.1:{port}/ws"
    chat_page(port)
    a, b = await connect(url, "A"), await connect(url, "B")
    username, credential = check_ice(a, secret)
    seen += [a.token, b.token, username, check_ice(b, secret)[0]] + USER_DATA_MARKERS
    offerer, answerer = await pair(a, b)
    # A relay candidate inside relay_networks reaches the partner (its
    # related address already blank); a host candidate is dropped, silently:
    # the next message is the end of candidates, with the next seq.
    await negotiate(offerer, answerer, RELAY_CANDIDATE)
    await answerer.send({"type": "candidate", "candidate": HOST_CANDIDATE})
    await answerer.send({"type": "candidate", "candidate": None})
    await offerer.expect({"type": "candidate", "candidate": None, "seq": 5})
    await offerer.send({"type": "leave"})
    await offerer.expect({"type": "left", "seq": 6})
    await answerer.expect({"type": "partner_left", "seq": 4})
    await a.close()
    await b.close()

    verdict = allocate(turn_port, username, credential)
    if verdict != "allocated":
        fail(f"coturn refused the credentials from hello ({verdict})")
    print("turnutils_uclient with hello's credentials: allocated, 0 packets lost", flush=True)
    # The same check fails when it must: one byte of the credential changed.
    forged = ("B" if credential[0] != "B" else "C") + credential[1:]
    verdict = allocate(turn_port, username, forged)
    if verdict != "refused":
        fail(f"coturn accepted a forged credential ({verdict})")
    print("turnutils_uclient with a forged credential: Cannot complete Allocation", flush=True)


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    port, turn_port = int(sys.argv[1]), int(sys.argv[2])
    with open(sys.argv[3]) as f:
        secret = f.read().strip()
    seen = []
    try:
        asyncio.run(scenario(port, turn_port, secret, seen))
    except Failure as e:
        print(f"compose-test: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        with open(sys.argv[4], "w") as f:
            f.write("".join(f"{value}\n" for value in seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
