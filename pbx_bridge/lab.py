"""The Asterisk lab: a real Asterisk 22 (Debian sid package) in a chroot, AMI on loopback.

    up(port=5038, root=None)  build the rootfs once if missing, install config/asterisk/*.conf
                              (port and secret filled in), start Asterisk, wait until it is
                              fully booted; returns the path of a matching aiivr TOML
    down(), restart(), status(), cli("queue show")

Plain subprocesses and sockets, nothing asynchronous: the CLI (`aiivr lab`), the test fixture
and scripts share it. Needs root. The rootfs defaults to /var/lib/aiivr/lab ($AIIVR_LAB_ROOT).
The lab's own files (state.json, aiivr.toml, ami-secret, asterisk.log) live in <root>/aiivr-lab.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from pbx_bridge.lab_build import build as _build
from pbx_bridge.lab_build import clone, is_built, require_root
from pbx_bridge.lab_config import LabSettings, aiivr_toml, install, secret_for
from pbx_bridge.lab_errors import LabError, LabPermissionError, LabStartError

__all__ = ["LabError", "LabPermissionError", "LabStartError", "LabStatus", "DEFAULT_ROOT",
           "default_root", "build", "up", "down", "restart", "status", "cli", "settings",
           "ami_banner", "clone"]

DEFAULT_ROOT = Path("/var/lib/aiivr/lab")
STATE = "aiivr-lab"
ASTERISK = "/usr/sbin/asterisk"  # inside the rootfs
# root's PATH usually has the sbin folders, a cron job's or sudo's may not
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
SETSID = shutil.which("setsid") or "/usr/bin/setsid"


def default_root() -> Path:
    return Path(os.environ.get("AIIVR_LAB_ROOT") or DEFAULT_ROOT)


def _root(root: str | Path | None) -> Path:
    # absolute and symlink-free: it is compared with /proc/<pid>/root
    return Path(os.path.realpath(root if root is not None else default_root()))


def _state(root: Path) -> Path:
    return root / STATE


@dataclass(frozen=True)
class LabStatus:
    root: Path
    built: bool
    running: bool
    pids: tuple[int, ...]
    host: str | None
    port: int | None
    banner: str | None  # the AMI greeting, e.g. "Asterisk Call Manager/11.0.0"
    config_path: Path | None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["root"] = str(self.root)
        d["pids"] = list(self.pids)
        d["config_path"] = str(self.config_path) if self.config_path else None
        return d


# --- processes and sockets -------------------------------------------------------------

def _pids(root: Path) -> list[int]:
    """Asterisk daemons whose filesystem root is `root`.

    The process table is the source of truth (no pid file to go stale): a process counts when
    its command is asterisk, its root is our rootfs, and it is not a remote console (-r/-rx).
    """
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry.name}/root") != str(root):
                continue
            argv = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
        except OSError:  # gone, or a zombie (no root link)
            continue
        if Path(argv[0].decode()).name == "asterisk" and not any(a.startswith((b"-r", b"-R")) for a in argv[1:]):
            found.append(int(entry.name))
    return sorted(found)


def ami_banner(host: str, port: int, timeout: float = 1.0) -> str | None:
    """The first line AMI sends on connect, or None if nothing answers there."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(256)
                if not chunk:
                    break
                data += chunk
            return data.decode(errors="replace").strip() or None
    except OSError:
        return None


def _port_taken(host: str, port: int) -> bool:
    """Something answers there, or holds the address so that Asterisk could not bind it."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Asterisk does
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def _port_error(host: str, port: int) -> LabError:
    return LabError(f"something already answers on {host}:{port} (another lab or Asterisk?); "
                    "choose another port with --port or stop it")


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One up/down/restart at a time per root (two starts would fight over the ctl socket)."""
    _state(root).mkdir(parents=True, exist_ok=True)
    with open(_state(root) / "lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


# --- saved settings ----------------------------------------------------------------------

def settings(root: str | Path | None = None) -> LabSettings | None:
    """What the last `up` in this root configured (host, port, secret...), or None."""
    root = _root(root)
    try:
        data = json.loads((_state(root) / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return LabSettings(root=root, host=data["host"], port=data["port"],
                       secret=secret_for(_state(root)), sip_port=data.get("sip_port"))


def _save(s: LabSettings) -> Path:
    state = _state(s.root)
    (state / "state.json").write_text(json.dumps({"host": s.host, "port": s.port, "sip_port": s.sip_port}) + "\n")
    config = state / "aiivr.toml"
    config.touch(mode=0o600)  # it holds the AMI secret
    config.write_text(aiivr_toml(s))
    return config


# --- the commands ------------------------------------------------------------------------

def build(root: str | Path | None = None, *, suite: str = "sid", mirror: str | None = None) -> float:
    """(Re)build the rootfs with mmdebstrap; returns seconds. Refuses while the lab runs."""
    root = _root(root)
    require_root()
    if _pids(root):
        raise LabError(f"the lab in {root} is running; run `aiivr lab down` before rebuilding it")
    return _build(root, suite=suite, mirror=mirror)


def up(port: int = 5038, root: str | Path | None = None, *, host: str = "127.0.0.1",
       sip_port: int | None = None, seed: str | Path | None = None, timeout: float = 30.0) -> Path:
    """Start the lab (building the rootfs first if it is missing); returns the aiivr TOML path.

    `seed`: a built rootfs to copy instead of running mmdebstrap (tests use it).
    Running already on the same port: returns at once. On another port: refuses.
    """
    require_root()
    root = _root(root)
    # refuse before any build or copy: a taken port is the most common mistake
    if not _pids(root) and _port_taken(host, port):
        raise _port_error(host, port)
    if not is_built(root):
        if seed is not None:
            clone(_root(seed), root)
        else:
            _build(root)
    with _locked(root):
        running = _pids(root)
        if running:
            saved = settings(root)
            if saved and saved.port == port and saved.host == host and ami_banner(host, port):
                return _state(root) / "aiivr.toml"
            where = f"AMI port {saved.port}" if saved else "unknown port"
            raise LabError(f"the lab in {root} already runs (pid {running[0]}, {where}); "
                           "run `aiivr lab down` first")
        if _port_taken(host, port):
            raise _port_error(host, port)
        s = LabSettings(root=root, host=host, port=port, secret=secret_for(_state(root)), sip_port=sip_port)
        install(s)
        config = _save(s)
        _start(s, timeout)
        return config


def _start(s: LabSettings, timeout: float) -> None:
    run = s.root / "run/asterisk"
    run.mkdir(parents=True, exist_ok=True)
    for stale in ("asterisk.ctl", "asterisk.pid"):
        (run / stale).unlink(missing_ok=True)
    log = _state(s.root) / "asterisk.log"
    deadline = time.monotonic() + timeout
    # -f: stay in the foreground (plain asterisk forks, -c needs a TTY and spins without one).
    # setsid -f: a new session, detached from us and from the terminal, re-parented to init,
    # so it survives this process and never lingers as our zombie.
    with open(log, "ab") as out:
        subprocess.run([SETSID, "-f", CHROOT, str(s.root), ASTERISK, "-f", "-n", "-vvv"],
                       stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=True)
    started = time.monotonic()
    while time.monotonic() < deadline:
        if ami_banner(s.host, s.port):
            break
        # chroot execs asterisk at once; give it a moment to appear before calling it dead
        if not _pids(s.root) and time.monotonic() - started > 1.0:
            raise LabStartError(f"Asterisk exited during start-up ({_last_line(log)}); see {log} "
                                f"and {s.root / 'var/log/asterisk/messages.log'}")
        time.sleep(0.1)
    else:
        _kill(s.root)
        raise LabStartError(f"AMI did not answer on {s.host}:{s.port} within {timeout:.0f} s; see {log}")
    # AMI accepts connections before every module is loaded (app_queue may still be missing)
    remaining = max(1.0, deadline - time.monotonic())
    try:
        cli("core waitfullybooted", s.root, timeout=remaining)
    except LabError as exc:
        _kill(s.root)
        raise LabStartError(f"Asterisk did not finish booting: {exc}") from None


def _last_line(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return lines[-1].strip() if lines else "no output"


def cli(command: str, root: str | Path | None = None, *, timeout: float = 30.0) -> str:
    """Run one Asterisk CLI command in the running lab (asterisk -rx) and return its output."""
    require_root()
    root = _root(root)
    try:
        proc = subprocess.run([CHROOT, str(root), ASTERISK, "-rx", command], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise LabError(f"`{command}` got no answer within {timeout:.0f} s") from None
    except OSError as exc:
        raise LabError(f"cannot run asterisk in {root}: {exc.strerror}") from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise LabError(f"`{command}` failed: {detail[-1] if detail else f'exit {proc.returncode}'}")
    return proc.stdout


def _kill(root: Path, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL, every Asterisk daemon in this root."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _pids(root):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + timeout / 2
        while _pids(root) and time.monotonic() < end:
            time.sleep(0.05)
        if not _pids(root):
            return
    raise LabError(f"could not stop Asterisk in {root} (pids {_pids(root)})")


def _stop(root: Path, timeout: float) -> bool:
    if not _pids(root):
        return False
    try:  # the clean way: flushes queue_log, CDRs and recordings
        cli("core stop now", root, timeout=5)
    except LabError:
        pass
    end = time.monotonic() + timeout
    while _pids(root) and time.monotonic() < end:
        time.sleep(0.05)
    if _pids(root):
        _kill(root)
    return True


def down(root: str | Path | None = None, *, timeout: float = 10.0) -> bool:
    """Stop the lab; True if it was running. The rootfs stays for the next `up`."""
    require_root()
    root = _root(root)
    if not root.is_dir():
        return False  # nothing there; do not create <root>/aiivr-lab for a mistyped path
    with _locked(root):
        return _stop(root, timeout)


def restart(root: str | Path | None = None, *, timeout: float = 30.0) -> None:
    """Stop and start Asterisk with the same settings (for fault tests: AMI drops, state resets)."""
    require_root()
    root = _root(root)
    saved = settings(root)
    if saved is None:
        raise LabError(f"the lab in {root} was never started; run `aiivr lab up` first")
    with _locked(root):
        _stop(root, timeout=10)
        _start(saved, timeout)


def status(root: str | Path | None = None) -> LabStatus:
    require_root()  # another user cannot see the root of Asterisk's process: it would say "stopped"
    root = _root(root)
    pids = tuple(_pids(root))
    saved = settings(root) if _state(root).is_dir() else None
    banner = ami_banner(saved.host, saved.port) if (pids and saved) else None
    config = _state(root) / "aiivr.toml"
    return LabStatus(root=root, built=is_built(root), running=bool(pids), pids=pids,
                     host=saved.host if saved else None, port=saved.port if saved else None,
                     banner=banner, config_path=config if config.is_file() else None)
