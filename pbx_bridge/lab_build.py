"""Build (or copy) the lab's root filesystem: Debian sid with the asterisk package.

Neither bookworm nor trixie carries asterisk; sid does. The package mirror this machine uses
may be a frozen snapshot whose sid Release file is already "expired", so apt's date checks
are switched off. Everything here needs root (mmdebstrap, chroot).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from pbx_bridge.lab_errors import LabError, LabPermissionError

SOURCES_DEB822 = Path("/etc/apt/sources.list.d/debian.sources")
SOURCES_LIST = Path("/etc/apt/sources.list")
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
PACKAGES = "asterisk,asterisk-modules,asterisk-core-sounds-en"
# The rootfs counts as built once this exists; a build writes to "<root>.partial" and
# renames at the end, so a build that died half-way is never mistaken for a finished one.
ASTERISK_BIN = "usr/sbin/asterisk"
# What a running or used lab leaves behind; a copy starts without it.
_RUNTIME = ("aiivr-lab", "run/asterisk", "var/log/asterisk", "var/spool/asterisk/recordings",
            "var/lib/asterisk/astdb.sqlite3")


def is_built(root: Path) -> bool:
    return (root / ASTERISK_BIN).is_file()


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabPermissionError("the lab needs root (mmdebstrap and chroot); run it with sudo or as root")


def default_mirror() -> str:
    """The Debian mirror apt already uses here: first `URIs:` of debian.sources, else sources.list."""
    if SOURCES_DEB822.is_file():
        for line in SOURCES_DEB822.read_text().splitlines():
            if line.startswith("URIs:") and line.split()[1:]:
                return line.split()[1]
    if SOURCES_LIST.is_file():
        for line in SOURCES_LIST.read_text().splitlines():
            if line.startswith("deb "):
                for word in line.split()[1:]:
                    if re.match(r"^[a-z]+://", word):
                        return word
    raise LabError(f"no Debian mirror found in {SOURCES_DEB822} or {SOURCES_LIST}; pass mirror=")


def build(root: Path, *, suite: str = "sid", mirror: str | None = None, log: Path | None = None) -> float:
    """Create `root` with mmdebstrap (replacing any half-built one); returns the seconds it took."""
    require_root()
    if shutil.which("mmdebstrap") is None:
        raise LabError("mmdebstrap is not installed; run .ci/install-lab.sh or: apt-get install -y mmdebstrap")
    mirror = mirror or default_mirror()
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        "mmdebstrap", "--variant=apt",
        "--aptopt=Acquire::Check-Valid-Until \"false\"",
        "--aptopt=Acquire::Check-Date \"false\"",
        "--aptopt=APT::Install-Recommends \"false\"",
        f"--keyring={KEYRING}",
        f"--include={PACKAGES}",
        suite, str(partial), mirror,
    ]
    log = log or root.with_name(root.name + ".build.log")
    t0 = time.monotonic()
    with open(log, "wb") as out:
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
    if rc != 0 or not is_built(partial):
        shutil.rmtree(partial, ignore_errors=True)
        raise LabError(f"mmdebstrap failed (exit {rc}) building {suite} from {mirror}; see {log}")
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    return time.monotonic() - t0


def clone(seed: Path, root: Path) -> float:
    """Copy a built rootfs to `root` (about a second instead of a ~30 s download and build).

    Tests use this so that each run gets its own Asterisk state (queue_log, recordings,
    astdb) without touching the developer's lab in the default root. /usr (312 of 321 MiB)
    is hard-linked, not copied: Asterisk and the lab only ever write to etc, run and var, and
    a full copy takes 25 s on a busy disk. Across filesystems it falls back to copying.
    """
    require_root()
    if not is_built(seed):
        raise LabError(f"no built lab in {seed} to copy; run .ci/install-lab.sh or `aiivr lab up` first")
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    t0 = time.monotonic()
    # cp -a keeps device nodes, owners, and symlinks (absolute ones too) as they are
    rest = [str(p) for p in seed.iterdir() if p.name != "usr"]
    ok = subprocess.run(["cp", "-a", *rest, str(partial)]).returncode == 0
    if ok and subprocess.run(["cp", "-a", "--link", str(seed / "usr"), str(partial)],
                             stderr=subprocess.DEVNULL).returncode != 0:
        shutil.rmtree(partial / "usr", ignore_errors=True)
        ok = subprocess.run(["cp", "-a", str(seed / "usr"), str(partial)]).returncode == 0
    if not ok:
        shutil.rmtree(partial, ignore_errors=True)
        raise LabError(f"copying {seed} to {partial} failed (see cp's message above)")
    scrub(partial)
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    return time.monotonic() - t0


def scrub(root: Path) -> None:
    """Drop the seed's state (its secret, queue_log, recordings, CDRs, astdb) from a copy."""
    for rel in _RUNTIME:
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
