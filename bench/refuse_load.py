#!/usr/bin/python3
"""bench/memory refuse: N connections from SOURCE to 127.0.0.1:PORT, each
sending a real TLS ClientHello and reading until the server closes. Prints
how many were closed unanswered and how many got an answer."""
import socket
import ssl
import sys

port, source, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

# A ClientHello as Python's OpenSSL writes it, taken from memory BIOs.
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
try:
    tls.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = outgoing.read()

unanswered = answered = 0
for _ in range(count):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((source, 0))
    try:
        # A refusal is a reset, which may come before the connect returns.
        s.connect(("127.0.0.1", port))
        s.sendall(hello)
        data = s.recv(4096)
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    if data:
        answered += 1
    else:
        unanswered += 1
    s.close()
print(f"{unanswered} closed unanswered, {answered} answered")
