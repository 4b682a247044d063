"""A podman container seen as a machine: commands, systemd, the journal, the
admin endpoint. Used by tests/package/*_scenario.py.

Every command has a deadline; waits poll a state with a deadline, never
sleep for a fixed time in place of an event.
"""

import subprocess
import time

from onymous_client import fail  # scripts/lib, on sys.path

COMMAND_TIMEOUT = 120.0


def wait_until(what, predicate, deadline_s, poll_s=0.05):
    """Polls `predicate` until it returns a true value, which is returned;
    fails naming `what` when `deadline_s` passes first."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            fail(f"{what}: not within {deadline_s} s")
        time.sleep(poll_s)


class Machine:
    def __init__(self, container):
        self.container = container

    def run(self, *argv, check=True, input=None, timeout=COMMAND_TIMEOUT, workdir=None, env=()):
        """argv run in the container; the completed process (text)."""
        command = ["podman", "exec", "-i"]
        if workdir:
            command += ["-w", workdir]
        for name_value in env:
            command += ["-e", name_value]
        result = subprocess.run(command + [self.container, *argv], input=input, text=True,
                                capture_output=True, timeout=timeout)
        if check and result.returncode != 0:
            fail(f"{' '.join(argv)}: exit status {result.returncode}\n{result.stdout}{result.stderr}")
        return result

    def out(self, *argv, **kwargs):
        return self.run(*argv, **kwargs).stdout.strip()

    def copy_in(self, host_path, path):
        subprocess.run(["podman", "cp", host_path, f"{self.container}:{path}"], check=True,
                       timeout=COMMAND_TIMEOUT)

    def read(self, path):
        return self.run("cat", path).stdout

    def exists(self, path):
        return self.run("test", "-e", path, check=False).returncode == 0

    # ------------------------------------------------------------ systemd
    def systemctl(self, *args, check=True):
        return self.run("systemctl", "--no-pager", *args, check=check)

    def states(self, verb, *units):
        """`systemctl is-active` (or is-enabled) of each unit, as printed."""
        return self.systemctl(verb, *units, check=False).stdout.split()

    def show(self, unit, *props):
        out = self.systemctl("show", unit, *(f"--property={p}" for p in props)).stdout
        values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return {p: values.get(p, "") for p in props}

    def journal_cursor(self):
        out = self.out("journalctl", "--no-pager", "-n", "0", "--show-cursor")
        return out.rsplit("-- cursor: ", 1)[1].strip()

    def journal(self, *units, after=None):
        """The journal's messages (all units when none given) since `after`."""
        argv = ["journalctl", "--no-pager", "-o", "cat"]
        for unit in units:
            argv += ["-u", unit]
        if after:
            argv.append(f"--after-cursor={after}")
        return self.run(*argv).stdout

    # ------------------------------------------------------------ admin endpoint
    def admin_get(self, path):
        """(status, body) of GET http://127.0.0.1:9090/PATH from inside the
        container (a minimal image has no curl: bash's /dev/tcp)."""
        script = ('exec 3<>/dev/tcp/127.0.0.1/9090 || exit 7; '
                  'printf "GET %s HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n" "$1" >&3; cat <&3')
        result = self.run("bash", "-c", script, "admin_get", path, check=False, timeout=10)
        if result.returncode != 0:
            return None, ""
        # Text mode has turned the CRLFs into LFs.
        head, _, body = result.stdout.partition("\n\n")
        status = int(head.split(" ", 2)[1]) if head.startswith("HTTP/") else None
        return status, body

    def metric(self, line_start):
        """The value of the first /metrics line that starts with `line_start`."""
        status, body = self.admin_get("/metrics")
        if status != 200:
            return None
        for line in body.splitlines():
            if line.startswith(line_start + " "):
                return float(line.split()[-1])
        return None

    def tcp_peers(self, port):
        """The remote addresses of the established TCP connections to `port`,
        as the container's kernel sees them (/proc/net/tcp{,6}; no ss here)."""
        peers = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in self.read(table).splitlines()[1:]:
                fields = line.split()
                local, remote, state = fields[1], fields[2], fields[3]
                if state != "01" or int(local.rsplit(":", 1)[1], 16) != port:
                    continue
                peers.add(_proc_address(remote.rsplit(":", 1)[0]))
        return peers


def _proc_address(hex_address):
    """An address of /proc/net/tcp (little-endian words) as text."""
    raw = bytes.fromhex(hex_address)
    words = [raw[i:i + 4][::-1] for i in range(0, len(raw), 4)]
    data = b"".join(words)
    if len(data) == 4:
        return ".".join(str(b) for b in data)
    if data[:12] == b"\0" * 10 + b"\xff\xff":
        return ".".join(str(b) for b in data[12:])
    groups = [f"{int.from_bytes(data[i:i + 2], 'big'):x}" for i in range(0, 16, 2)]
    return ":".join(groups)
