#!/usr/bin/python3
"""The onymousd package under a real systemd (PID 1 of a podman container),
driven as an operator would. Run by tests/package/systemd-test, which makes
the container; each step prints its name and time, and any difference from
what is expected exits 1 with one line saying what was expected and what came.

usage: systemd_scenario.py CONTAINER PORT PACKAGE UPGRADE_PACKAGE

CONTAINER runs systemd with onymousd.socket's port 443 published on
127.0.0.1:PORT; PACKAGE and UPGRADE_PACKAGE are .deb files in its /root (the
second is the first with a higher version).
"""

import asyncio
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))

import websockets  # noqa: E402

from onymous_client import (USER_DATA_MARKERS, Failure, connect, fail, greet,  # noqa: E402
                            negotiate, open_ws, pair, tls_context)
from machine import Machine, wait_until  # noqa: E402

SERVICE, SOCKET = "onymousd.service", "onymousd.socket"
CONFIG = "/etc/onymous/onymousd.yaml"
TLS_DIR = "/etc/onymous/tls"
# Certificates the operator installs; openssl prints serials in upper-case hex.
SERIAL_A, SERIAL_B = "5E1A1A01", "5E1A1B02"
INTEREST = "pkgtest-zither"  # a word nobody else uses: grepped for in the journal
RELOADS_OK = 'onymous_reloads_total{outcome="ok"}'
RESUME_FAILED = {"type": "error", "code": "resume_failed",
                 "message": "the session cannot be resumed", "ref": "resume"}
WATCHDOG_S = 30  # onymousd.service's WatchdogSec=
# The daemon keeps sending WATCHDOG=1 until a loop has been silent for half
# of that (server/app/loop_monitor.cpp), then systemd waits a whole period.
WATCHDOG_FIRES_S = WATCHDOG_S * 3 // 2
# Stops one thread with ptrace (PTRACE_SEIZE, then PTRACE_INTERRUPT: the other
# threads run on) and waits until it is gone. perl-base is in every Debian
# system; 101 is SYS_ptrace on x86-64. The thread whose id is the process id
# runs worker 0's event loop (server/app/daemon.cpp, run()).
WEDGE_PERL = r'''
my $tid = 0 + shift;  # a number: syscall() passes strings as pointers
syscall(101, 0x4206, $tid, 0, 0) == 0 or die "PTRACE_SEIZE $tid: $!\n";
syscall(101, 0x4207, $tid, 0, 0) == 0 or die "PTRACE_INTERRUPT $tid: $!\n";
$| = 1; print "wedged $$\n";
# Reap its stops (WIFSTOPPED) until it has exited: a traced thread's exit is
# reported to its tracer first, and systemd, its parent, sees it only then.
# wait4 (61) itself: perl's waitpid() does not report a tracee's stops.
while (1) {
    my $status = pack("i", 0);
    last if syscall(61, $tid, $status, 0x40000000, 0) <= 0;
    last if (unpack("i", $status) & 0xff) != 0x7f;
}
'''

step_started = time.monotonic()


def step(name):
    global step_started
    now = time.monotonic()
    print(f"--- ({now - step_started:.1f} s)\n==> {name}", flush=True)
    step_started = now


class Scenario:
    def __init__(self, container, port, package, upgrade_package):
        self.m = Machine(container)
        self.port = int(port)
        self.url = f"wss://127.0.0.1:{port}/ws"
        self.package = package
        self.upgrade_package = upgrade_package
        self.version = self.m.out("dpkg-deb", "-f", f"/root/{package}", "Version")
        self.tokens = []       # every resume token handed out: never in the journal
        self.peers = set()     # every client address the daemon saw: never in the journal
        self.certs = tempfile.mkdtemp(prefix="onymous-systemd-certs-")

    async def client(self, name):
        return self.seen(await connect(self.url, name))

    def seen(self, client):
        """Notes what the journal must never hold: its token and its address."""
        self.tokens.append(client.token)
        self.peers |= self.m.tcp_peers(443)
        return client

    def pids(self):
        props = self.m.show(SERVICE, "MainPID", "NRestarts", "ActiveState")
        return int(props["MainPID"]), int(props["NRestarts"]), props["ActiveState"]

    def expect_states(self, verb, units, expected):
        got = self.m.states(verb, *units)
        if got != expected:
            fail(f"systemctl {verb} {' '.join(units)}: expected {expected}, got {got}")
        print(f"systemctl {verb}: {' '.join(got)}", flush=True)

    # ---------------------------------------------------------------- steps
    def install(self):
        step(f"apt install ./{self.package}")
        self.m.run("apt", "install", "-y", "--no-install-recommends", f"./{self.package}",
                   workdir="/root", env=["DEBIAN_FRONTEND=noninteractive"])
        # debhelper enables and starts both units; the start waits for READY=1.
        self.expect_states("is-enabled", [SOCKET, SERVICE], ["enabled", "enabled"])
        self.expect_states("is-active", [SOCKET, SERVICE], ["active", "active"])
        installed = self.m.read(CONFIG)
        with open(os.path.join(ROOT, "config", "package.yaml")) as f:
            if installed != f.read():
                fail(f"{CONFIG} is not config/package.yaml")
        with open(os.path.join(ROOT, "config", "onymousd.yaml")) as f:
            if self.m.run("onymousd", "--print-default-config").stdout != f.read():
                fail("onymousd --print-default-config is not config/onymousd.yaml")
        version = self.m.out("onymousd", "--version")
        if version != f"onymousd {self.version}":
            fail(f"onymousd --version says {version!r}, expected 'onymousd {self.version}'")
        mode = self.m.out("stat", "-c", "%U:%G %a", CONFIG)
        if mode != "root:root 644":
            fail(f"{CONFIG}: {mode}, expected root:root 644")
        print(f"{CONFIG} as packaged; {version}", flush=True)

    def operator_start(self):
        step("systemctl enable --now onymousd.socket onymousd.service (docs/operations.md)")
        self.m.systemctl("enable", "--now", SOCKET, SERVICE)
        self.expect_states("is-active", [SOCKET, SERVICE], ["active", "active"])

    def security(self):
        step("systemd-analyze security onymousd.service (at most 1.2)")
        result = self.m.run("systemd-analyze", "security", "--no-pager", "--threshold=12", SERVICE,
                            check=False)
        score = None
        for line in result.stdout.splitlines():
            if line.startswith(f"→ Overall exposure level for {SERVICE}: "):
                score = float(line.split(": ", 1)[1].split()[0])
        if score is None or result.returncode != 0 or score > 1.2:
            fail(f"systemd-analyze security: score {score}, exit status {result.returncode}\n"
                 + result.stdout[-2000:])
        print(f"exposure {score}, exit status 0 with --threshold=12", flush=True)

    async def first_chat(self):
        step("the chat page and a pairing through the socket, with the packaged certificate")
        context = tls_context()
        with urllib.request.urlopen(f"https://127.0.0.1:{self.port}/", context=context,
                                    timeout=5) as reply:
            body, status = reply.read(), reply.status
        with open(os.path.join(ROOT, "web", "index.html"), "rb") as f:
            if status != 200 or body != f.read():
                fail(f"GET /: status {status}, {len(body)} bytes: not web/index.html")
        print(f"GET / -> 200, web/index.html ({len(body)} bytes)", flush=True)
        snakeoil = self.m.out("openssl", "x509", "-noout", "-serial", "-in",
                              "/etc/ssl/certs/ssl-cert-snakeoil.pem").removeprefix("serial=")
        a, b = await self.client("A"), await self.client("B")
        for c in (a, b):
            if c.serial != snakeoil:
                fail(f"{c.name}: certificate serial {c.serial}, expected ssl-cert's {snakeoil}")
        offerer, answerer = await pair(a, b, [INTEREST])
        await negotiate(offerer, answerer)
        await offerer.send({"type": "candidate", "candidate": None})
        await answerer.expect({"type": "candidate", "candidate": None, "seq": 4})
        await offerer.send({"type": "ping"})
        await offerer.expect({"type": "pong"})
        await offerer.send({"type": "leave"})
        await offerer.expect({"type": "left", "seq": 5})
        await answerer.expect({"type": "partner_left", "seq": 5})
        await a.close()
        await b.close()

    def make_certificate(self, serial):
        key, cert = (os.path.join(self.certs, f"{serial}.{x}") for x in ("key", "pem"))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "2", "-subj", "/CN=chat.example.org",
                        "-set_serial", f"0x{serial}"], check=True, capture_output=True)
        return cert, key

    def install_certificate(self, serial):
        """As the deploy hook does: root:ssl-cert 0640, each file by a rename."""
        cert, key = self.make_certificate(serial)
        for host, name in ((cert, "fullchain.pem"), (key, "privkey.pem")):
            self.m.copy_in(host, f"/tmp/{name}")
            self.m.run("install", "-m", "0640", "-o", "root", "-g", "ssl-cert", f"/tmp/{name}",
                       f"{TLS_DIR}/{name}.new")
            self.m.run("mv", f"{TLS_DIR}/{name}.new", f"{TLS_DIR}/{name}")
            self.m.run("rm", f"/tmp/{name}")

    def reload(self):
        """systemctl reload, then the daemon's own word that it reloaded: the
        reload job ends when SIGHUP is sent, not when the daemon is done."""
        before = self.m.metric(RELOADS_OK)
        self.m.systemctl("reload", SERVICE)
        wait_until(f"{RELOADS_OK} above {before}",
                   lambda: (self.m.metric(RELOADS_OK) or 0) > before, 10)
        print(f"reloaded ({RELOADS_OK} {before:.0f} -> {self.m.metric(RELOADS_OK):.0f})", flush=True)

    async def own_certificate(self):
        step("the operator's certificate: files, tls: paths, systemctl reload")
        self.m.run("install", "-d", "-m", "0750", "-o", "root", "-g", "ssl-cert", TLS_DIR)
        self.install_certificate(SERIAL_A)
        # Their own paths, and the most talkative log level for the privacy check.
        self.m.run("sed", "-i",
                   "-e", f"s|^  certificate: .*|  certificate: {TLS_DIR}/fullchain.pem|",
                   "-e", f"s|^  private_key: .*|  private_key: {TLS_DIR}/privkey.pem|",
                   "-e", "s|^  level: error |  level: debug |", CONFIG)
        check = self.m.run("onymousd", "--check-config", CONFIG)
        if check.stderr.strip() != f"onymousd: configuration file {CONFIG} test is successful":
            fail(f"--check-config said: {check.stderr}")
        self.reload()
        c = await self.client("C")
        if c.serial != SERIAL_A:
            fail(f"C: certificate serial {c.serial} after the reload, expected {SERIAL_A}")
        await c.close()

    async def renewal_during_chat(self):
        step("a renewed certificate and systemctl reload while a chat goes on")
        p, q = await self.client("P"), await self.client("Q")
        offerer, answerer = await pair(p, q)
        await negotiate(offerer, answerer)
        self.install_certificate(SERIAL_B)
        self.reload()
        r = await self.client("R")
        if r.serial != SERIAL_B:
            fail(f"R: certificate serial {r.serial} after the renewal, expected {SERIAL_B}")
        await r.close()
        # The chat opened before the reload goes on, over its old connections.
        await offerer.send({"type": "candidate", "candidate": None})
        await answerer.expect({"type": "candidate", "candidate": None, "seq": 4})
        await answerer.send({"type": "candidate", "candidate": None})
        await offerer.expect({"type": "candidate", "candidate": None, "seq": 5})
        await offerer.send({"type": "leave"})
        await offerer.expect({"type": "left", "seq": 6})
        await answerer.expect({"type": "partner_left", "seq": 5})
        for c in (p, q):
            if c.serial != SERIAL_A:
                fail(f"{c.name}: serial {c.serial}: not the connection opened before the renewal")
            await c.close()

    async def restart_while_reconnecting(self):
        step("systemctl restart while a client keeps reconnecting")
        socket_since = self.m.show(SOCKET, "ActiveEnterTimestampMonotonic")
        pid_before, _, _ = self.pids()
        k = await self.client("K")
        await k.send({"type": "join", "mode": "text", "interests": []})
        await k.expect({"type": "waiting", "seq": 1})
        restart = await asyncio.create_subprocess_exec(
            "podman", "exec", self.m.container, "systemctl", "restart", SERVICE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # A waiting session hears draining and is closed at once.
        await k.expect({"type": "draining", "seq": 2}, timeout=10)
        await k.expect_close(1001)
        # The reconnects below must fall within the restart, or they would
        # prove nothing about the socket staying bound through it.
        if restart.returncode is not None:
            fail(f"systemctl restart had ended (exit status {restart.returncode}) before K's "
                 "first reconnect")
        # Reconnect at once and again until a hello: every attempt reaches the
        # socket that systemd keeps bound and waits in its backlog for the new
        # process. An attempt accepted by the old process in the instant
        # before its listener closed is aborted in its handshake: tried again.
        attempts, aborted = 0, []
        deadline = time.monotonic() + 30
        while True:
            attempts += 1
            try:
                ws = await open_ws(self.url, "K", timeout=20)
                break
            except ConnectionRefusedError as e:
                fail(f"K: connection refused during the restart (attempt {attempts}): {e}")
            except (OSError, EOFError, websockets.InvalidHandshake, asyncio.TimeoutError) as e:
                aborted.append(type(e).__name__)
                if time.monotonic() > deadline:
                    fail(f"K: no connection within 30 s of the restart: {aborted}")
        # The new process's hello, then the resume a reconnecting client
        # sends: sessions live in memory, so the new process knows none.
        again = self.seen(await greet(ws, "K (reconnected)"))
        await again.send({"type": "resume", "token": k.token, "last_seq": k.last_seq})
        await again.expect(RESUME_FAILED)
        await again.close()
        output, _ = await asyncio.wait_for(restart.communicate(), 30)
        if restart.returncode != 0:
            fail(f"systemctl restart: exit status {restart.returncode}: {output.decode()}")
        pid_after, _, state = self.pids()
        if pid_after == pid_before or state != "active":
            fail(f"after the restart: MainPID {pid_before} -> {pid_after}, {state}")
        if self.m.show(SOCKET, "ActiveEnterTimestampMonotonic") != socket_since:
            fail("onymousd.socket was restarted along with the service")
        print(f"never refused: {attempts} attempt(s) from within the restart job, {len(aborted)} "
              f"aborted in the handshake {aborted}; MainPID {pid_before} -> {pid_after}; the "
              "socket stayed up", flush=True)

    async def watchdog(self):
        step("a wedged event loop: the watchdog restarts the service")
        pid, restarts, _ = self.pids()
        cursor = self.m.journal_cursor()
        tracer = subprocess.Popen(["podman", "exec", self.m.container, "perl", "-e", WEDGE_PERL,
                                   str(pid)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        tracer_pid = None
        try:
            ready, _, _ = select.select([tracer.stdout], [], [], 10)
            words = tracer.stdout.readline().split() if ready else ["(nothing within 10 s)"]
            if len(words) != 2 or words[0] != "wedged":
                fail(f"the ptrace wedge said {words}: {tracer.stderr.read()}")
            tracer_pid = words[1]
            started = time.monotonic()
            # The loop monitor sees the stall (2 s) long before systemd does.
            wait_until("/healthz answering 503", lambda: self.m.admin_get("/healthz")[0] == 503, 10)
            print(f"worker 0's loop stopped by ptrace; /healthz: 503 after "
                  f"{time.monotonic() - started:.1f} s", flush=True)
            new = wait_until(
                "a new MainPID, active, after the watchdog",
                lambda: (lambda p: p if p[0] not in (0, pid) and p[2] == "active" else None)(
                    self.pids()), WATCHDOG_FIRES_S + 30, poll_s=0.5)
            print(f"MainPID {pid} -> {new[0]} after {time.monotonic() - started:.1f} s", flush=True)
            # The tracer returns once its tracee has gone.
            tracer.wait(timeout=10)
            tracer_pid = None
        finally:
            if tracer_pid:  # killing podman exec would leave it running in the container
                self.m.run("kill", tracer_pid, check=False)
            if tracer.poll() is None:
                tracer.kill()
            tracer.wait()
        if new[1] != restarts + 1:
            fail(f"NRestarts {restarts} -> {new[1]}, expected {restarts + 1}")
        journal = self.m.journal(after=cursor)
        for line in (f"{SERVICE}: Watchdog timeout (limit {WATCHDOG_S}s)!",
                     f"{SERVICE}: Killing process {pid} (onymousd) with signal SIGABRT.",
                     f"{SERVICE}: Main process exited, code=killed, status=6/ABRT",
                     f"{SERVICE}: Failed with result 'watchdog'."):
            if line not in journal.splitlines():
                fail(f"the journal has no line {line!r}:\n{journal[-3000:]}")
            print(f"journal: {line}", flush=True)
        c = await self.client("W")
        await c.close()

    def upgrade(self):
        step(f"apt install ./{self.upgrade_package} (an upgrade)")
        pid, _, _ = self.pids()
        socket_since = self.m.show(SOCKET, "ActiveEnterTimestampMonotonic")
        edited = self.m.read(CONFIG)
        self.m.run("apt", "install", "-y", f"./{self.upgrade_package}", workdir="/root",
                   env=["DEBIAN_FRONTEND=noninteractive"])
        version = self.m.out("dpkg-query", "-W", "-f=${Version}", "onymousd")
        expected = self.m.out("dpkg-deb", "-f", f"/root/{self.upgrade_package}", "Version")
        if version != expected:
            fail(f"installed version {version}, expected {expected}")
        new_pid, _, state = self.pids()
        if new_pid == pid or state != "active":
            fail(f"after the upgrade: MainPID {pid} -> {new_pid}, {state}: not restarted")
        if self.m.show(SOCKET, "ActiveEnterTimestampMonotonic") != socket_since:
            fail("onymousd.socket was restarted by the upgrade: the port was closed meanwhile")
        if self.m.read(CONFIG) != edited:
            fail(f"the upgrade changed the operator's {CONFIG}")
        leftovers = self.m.out("find", "/etc/onymous", "-name", "*.dpkg-*")
        if leftovers:
            fail(f"dpkg left {leftovers}")
        print(f"{version}; MainPID {pid} -> {new_pid}; the socket stayed up; {CONFIG} kept",
              flush=True)

    async def stop(self):
        step("systemctl stop onymousd.socket onymousd.service with a chat open")
        p, q = await self.client("P"), await self.client("Q")
        offerer, answerer = await pair(p, q)
        await negotiate(offerer, answerer)
        await offerer.send({"type": "candidate", "candidate": None})
        await answerer.expect({"type": "candidate", "candidate": None, "seq": 4})
        started = time.monotonic()
        stop = await asyncio.create_subprocess_exec(
            "podman", "exec", self.m.container, "systemctl", "stop", SOCKET, SERVICE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        await offerer.expect({"type": "draining", "seq": 5}, timeout=10)
        await answerer.expect({"type": "draining", "seq": 5})
        # The pairing ends: both are closed (1001) at once, without waiting
        # for the drain's time.
        await offerer.send({"type": "leave"})
        await offerer.expect({"type": "left", "seq": 6})
        await offerer.expect_close(1001)
        await answerer.expect({"type": "partner_left", "seq": 6})
        await answerer.expect_close(1001)
        output, _ = await asyncio.wait_for(stop.communicate(), 30)
        elapsed = time.monotonic() - started
        if stop.returncode != 0:
            fail(f"systemctl stop: exit status {stop.returncode}: {output.decode()}")
        props = self.m.show(SERVICE, "ActiveState", "Result", "ExecMainCode", "ExecMainStatus")
        expected = {"ActiveState": "inactive", "Result": "success", "ExecMainCode": "1",
                    "ExecMainStatus": "0"}  # ExecMainCode 1: CLD_EXITED
        if props != expected:
            fail(f"after the stop: {props}, expected {expected}")
        self.expect_states("is-active", [SOCKET, SERVICE], ["inactive", "inactive"])
        # Now nothing holds the port: this is what the restart never showed.
        try:
            ws = await open_ws(self.url, "S", timeout=5)
            await ws.close()
            fail("a connection succeeded with both units stopped")
        except ConnectionRefusedError:
            print("with both units stopped: connection refused", flush=True)
        print(f"stopped in {elapsed:.1f} s: exit status 0 ({props})", flush=True)

    def privacy(self):
        step("journalctl -u onymousd holds no user data")
        journal = self.m.journal(SERVICE, SOCKET)
        # Proof that the log read is the daemon's, at debug level.
        for expected in ("onymousd started", "configuration reloaded", "onymousd stopped"):
            if expected not in journal:
                fail(f"the journal lacks {expected!r}: the check below would see nothing")
        forbidden = {"resume token": self.tokens, "client address": sorted(self.peers),
                     "interest": [INTEREST], "SDP or candidate": USER_DATA_MARKERS}
        for what, values in forbidden.items():
            for value in values:
                if value in journal:
                    line = next(x for x in journal.splitlines() if value in x)
                    fail(f"the journal holds a {what} ({value}): {line}")
        print(f"{len(journal.splitlines())} lines; none holds any of {len(self.tokens)} tokens, "
              f"the client addresses {sorted(self.peers)}, the interest, SDP or candidates",
              flush=True)

    def remove_and_purge(self):
        step("apt remove onymousd, then apt purge onymousd")
        self.m.run("apt", "remove", "-y", "onymousd", env=["DEBIAN_FRONTEND=noninteractive"])
        status = self.m.out("dpkg-query", "-W", "-f=${Status}", "onymousd")
        if status != "deinstall ok config-files" or not self.m.exists(CONFIG):
            fail(f"after remove: {status!r}, {CONFIG} present: {self.m.exists(CONFIG)}")
        self.expect_states("is-active", [SOCKET, SERVICE], ["inactive", "inactive"])
        for path in ("/usr/sbin/onymousd", "/lib/systemd/system/onymousd.service"):
            if self.m.exists(path):
                fail(f"{path} is still there after remove")
        self.m.run("apt", "purge", "-y", "onymousd", env=["DEBIAN_FRONTEND=noninteractive"])
        if self.m.run("dpkg-query", "-W", "onymousd", check=False).returncode == 0:
            fail("dpkg still knows onymousd after purge")
        links = self.m.out("find", "/etc/systemd/system", "-name", "onymousd*")
        if self.m.exists(CONFIG) or links:
            fail(f"after purge: {CONFIG} present: {self.m.exists(CONFIG)}, links: {links}")
        # What dpkg never made stays: the operator's certificate and key.
        left = sorted(self.m.out("find", "/etc/onymous", "-type", "f").split())
        if left != [f"{TLS_DIR}/fullchain.pem", f"{TLS_DIR}/privkey.pem"]:
            fail(f"after purge, /etc/onymous holds {left}")
        print(f"purged; left for the operator: {sorted(left)}", flush=True)

    async def run(self):
        try:
            await self.steps()
        finally:
            shutil.rmtree(self.certs)  # the test's keys

    async def steps(self):
        self.install()
        self.operator_start()
        self.security()
        await self.first_chat()
        await self.own_certificate()
        await self.renewal_during_chat()
        await self.restart_while_reconnecting()
        await self.watchdog()
        self.upgrade()
        await self.stop()
        self.privacy()
        self.remove_and_purge()
        step("done")


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        asyncio.run(Scenario(*sys.argv[1:]).run())
    except Failure as e:
        print(f"systemd-test: {e}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
