"""A protocol-v1 client for the container tests (docs/protocol.md).

Used by tests/package/*.py with Debian's python3-websockets (run by
/usr/bin/python3, not a pyenv shim). Every expectation is exact: a message
that differs in any field, `seq` included, raises Failure naming what was
expected and what came.
"""

import asyncio
import json
import ssl
import subprocess

import websockets

STEP_TIMEOUT = 5.0

# A text-mode (data channel only) SDP without candidates, so that the
# relay-only filter leaves it as it is. 192.0.2.0/24 and 203.0.113.0/24 are
# documentation prefixes: nothing is ever sent there.
OFFER_SDP = (
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:pkg1\r\n"
    "a=ice-pwd:packagetestpackagetest01\r\n"
    "a=fingerprint:sha-256 "
    "10:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:0F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
)
ANSWER_SDP = OFFER_SDP.replace("pkg1", "pkg2").replace("actpass", "active")
HOST_CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "pkg2",
}
RELAY_CANDIDATE = {
    "candidate": "candidate:2 1 udp 41885439 203.0.113.10 53000 typ relay raddr 0.0.0.0 rport 0",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "pkg1",
}
# What the server must never log (tests grep the logs for these).
USER_DATA_MARKERS = ["pkg1", "pkg2", "packagetestpackagetest01", "192.0.2.", "203.0.113.",
                     "AA:BB:CC:DD", "a=fingerprint", "candidate:"]


class Failure(Exception):
    """An expectation that did not hold; the message says what and how."""


def fail(what):
    raise Failure(what)


def tls_context():
    """TLS without verification: the tests look at the certificate themselves."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def certificate_serial(der):
    """The serial number of a DER certificate as openssl prints it (hex, upper case)."""
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"], input=der,
                         capture_output=True, check=True).stdout.decode()
    return out.strip().removeprefix("serial=")


class Client:
    """One WebSocket connection: its hello, resume token and certificate."""

    def __init__(self, name, ws):
        self.name = name
        self.ws = ws
        self.hello = None
        self.token = None
        self.last_seq = 0
        ssl_object = ws.transport.get_extra_info("ssl_object")
        self.serial = (certificate_serial(ssl_object.getpeercert(binary_form=True))
                       if ssl_object else None)

    async def receive(self, timeout=STEP_TIMEOUT):
        try:
            text = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            fail(f"{self.name}: no message within {timeout} s")
        except websockets.ConnectionClosed as e:
            fail(f"{self.name}: connection closed ({e.rcvd.code if e.rcvd else 'no close frame'})")
        if not isinstance(text, str):
            fail(f"{self.name}: a binary frame")
        message = json.loads(text)
        if isinstance(message.get("seq"), int):
            self.last_seq = message["seq"]
        return message

    async def expect(self, expected, timeout=STEP_TIMEOUT):
        got = await self.receive(timeout)
        if got != expected:
            fail(f"{self.name}: expected {json.dumps(expected)}, got {json.dumps(got)}")
        print(f"{self.name} <- {expected['type']}", flush=True)
        return got

    async def send(self, message):
        await self.ws.send(json.dumps(message))
        print(f"{self.name} -> {message['type']}", flush=True)

    async def expect_close(self, code, timeout=STEP_TIMEOUT):
        """The connection ends with `code`, no message before."""
        try:
            extra = await asyncio.wait_for(self.ws.recv(), timeout)
            fail(f"{self.name}: expected a close with {code}, got {extra}")
        except asyncio.TimeoutError:
            fail(f"{self.name}: not closed within {timeout} s")
        except websockets.ConnectionClosed as e:
            got = e.rcvd.code if e.rcvd else None
            if got != code:
                fail(f"{self.name}: closed with {got or 'no close frame'}, expected {code}")
        print(f"{self.name} closed with {code}", flush=True)

    async def close(self):
        await self.ws.close()


async def open_ws(url, name, timeout=STEP_TIMEOUT):
    """The bare WebSocket (TLS unverified for wss://), or the connect's exception."""
    return await websockets.connect(
        url, subprotocols=["onymous.v1"], open_timeout=timeout, close_timeout=STEP_TIMEOUT,
        ping_interval=None, max_size=1 << 20,
        ssl=tls_context() if url.startswith("wss://") else None)


async def connect(url, name, timeout=STEP_TIMEOUT):
    """A connection that got its hello (version 1, a resume token)."""
    return await greet(await open_ws(url, name, timeout), name)


async def greet(ws, name):
    """The client of an open WebSocket, once its hello has come."""
    if ws.subprotocol != "onymous.v1":
        fail(f"{name}: subprotocol {ws.subprotocol!r}, expected 'onymous.v1'")
    client = Client(name, ws)
    hello = await client.receive()
    if hello.get("type") != "hello" or hello.get("version") != 1:
        fail(f"{name}: expected hello version 1, got {json.dumps(hello)}")
    token = hello.get("resume")
    if not isinstance(token, str) or len(token) < 16:
        fail(f"{name}: hello.resume is not a token: {json.dumps(hello)}")
    client.hello, client.token = hello, token
    print(f"{name} <- hello" + (f" (certificate serial {client.serial})" if client.serial else ""),
          flush=True)
    return client


async def pair(a, b, interests=()):
    """A waits, B joins: both matched (seq 2), one offerer and one answerer.
    Returns (offerer, answerer)."""
    join = {"type": "join", "mode": "text", "interests": list(interests)}
    await a.send(join)
    await a.expect({"type": "waiting", "seq": 1})
    await b.send(join)
    await b.expect({"type": "waiting", "seq": 1})
    roles = {}
    for client in (a, b):
        got = await client.receive()
        role = got.get("role")
        if role not in ("offerer", "answerer") or got != {"type": "matched", "role": role,
                                                          "interests": list(interests), "seq": 2}:
            fail(f"{client.name}: expected matched (seq 2, interests {list(interests)}), "
                 f"got {json.dumps(got)}")
        roles[role] = client
        print(f"{client.name} <- matched as {role}", flush=True)
    if len(roles) != 2:
        fail(f"roles: expected one offerer and one answerer, got two {next(iter(roles))}s")
    return roles["offerer"], roles["answerer"]


async def negotiate(offerer, answerer, candidate=HOST_CANDIDATE):
    """Offer (seq 3), answer (3) and one candidate (4), relayed exactly."""
    await offerer.send({"type": "offer", "sdp": OFFER_SDP})
    await answerer.expect({"type": "offer", "sdp": OFFER_SDP, "seq": 3})
    await answerer.send({"type": "answer", "sdp": ANSWER_SDP})
    await answerer.send({"type": "candidate", "candidate": candidate})
    await offerer.expect({"type": "answer", "sdp": ANSWER_SDP, "seq": 3})
    await offerer.expect({"type": "candidate", "candidate": candidate, "seq": 4})
