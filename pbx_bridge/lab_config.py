"""Put AIIVR's sample Asterisk configs into the lab rootfs and write the matching aiivr TOML."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

CONF_DIR = Path(__file__).resolve().parents[1] / "config" / "asterisk"
AMI_USERNAME = "aiivr"
# Paths as Asterisk sees them inside the rootfs (asterisk.conf, extensions.conf)
PBX_RECORDINGS = "/var/spool/asterisk/recordings"
PBX_QUEUE_LOG = "/var/log/asterisk/queue_log"
# The VarSet variables manager.conf lets through (see varset_complement); AIIVR_ORIGIN
# tags the calls AIIVR originates (outbound, callback, monitor)
VARSET_KEEP = ("MIXMONITOR_FILENAME", "QUEUESTATUS", "AIIVR_ORIGIN")


@dataclass(frozen=True)
class LabSettings:
    """What one running lab answers on; written to the state dir and to the aiivr TOML."""

    root: Path
    host: str
    port: int
    secret: str
    sip_port: int | None = None
    username: str = AMI_USERNAME

    @property
    def spool_dir(self) -> Path:
        return self.root / PBX_RECORDINGS.lstrip("/")

    @property
    def queue_log_path(self) -> Path:
        return self.root / PBX_QUEUE_LOG.lstrip("/")


def varset_complement(keep: tuple[str, ...] = VARSET_KEEP) -> str:
    """A POSIX ERE matching every variable name except those in `keep`.

    AMI event filters cannot say "drop VarSet except X", and Asterisk's regexes have no
    look-ahead, so the exclude filter in manager.conf spells the complement out: a name is
    dropped when it leaves every kept name at some character, is a strict prefix of one, or
    is longer than one. The kept names must not share a first letter.
    """
    firsts = "".join(sorted({w[0] for w in keep}))
    if len(firsts) != len(keep):
        raise ValueError("kept names must start with different letters")
    alts = [f"[^{firsts}]"]
    for word in keep:
        alts += [f"{word[:i]}([^{word[i]}]|$)" for i in range(1, len(word))]
        alts.append(f"{word}.")
    return "^(" + "|".join(alts) + "|$)"


def secret_for(state_dir: Path) -> str:
    """A random AMI secret, made once per lab root (loopback is shared by every local user)."""
    path = state_dir / "ami-secret"
    if not path.is_file():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(18) + "\n")
    return path.read_text().strip()


def install(settings: LabSettings, conf_dir: Path = CONF_DIR) -> None:
    """Replace the rootfs's /etc/asterisk with conf_dir's files, port and secret filled in."""
    root = settings.root
    etc = root / "etc/asterisk"
    dist = root / "etc/asterisk.dist"
    if etc.is_dir() and not dist.exists():
        etc.rename(dist)  # keep Debian's stock samples for reference
    shutil.rmtree(etc, ignore_errors=True)
    etc.mkdir(parents=True)
    for conf in sorted(conf_dir.glob("*.conf")):
        shutil.copyfile(conf, etc / conf.name)

    manager = etc / "manager.conf"
    text = manager.read_text()
    text = re.sub(r"(?m)^port = .*$", f"port = {settings.port}", text, count=1)
    text = re.sub(r"(?m)^bindaddr = .*$", f"bindaddr = {settings.host}", text, count=1)
    text = re.sub(r"(?m)^secret = .*$", f"secret = {settings.secret}", text, count=1)
    manager.write_text(text)
    manager.chmod(0o600)

    if settings.sip_port:
        pjsip = etc / "pjsip.conf"
        pjsip.write_text(re.sub(r"(?m)^bind = 127\.0\.0\.1:\d+$",
                                f"bind = 127.0.0.1:{settings.sip_port}", pjsip.read_text()))
    else:
        # no SIP stack at all: pjproject would open UDP sockets on 0.0.0.0 and [::]
        (etc / "pjsip.conf").unlink()
        with open(etc / "modules.conf", "a") as f:
            f.write("noload => res_pjproject.so\n")

    # Inside the rootfs var/run -> /run is an absolute symlink: from the host, create the
    # run dir through <root>/run, never <root>/var/run (that is the host's own /run).
    for rel in ("run/asterisk", "var/log/asterisk/cdr-csv", "var/spool/asterisk/recordings",
                "var/lib/asterisk", "var/cache/asterisk"):
        (root / rel).mkdir(parents=True, exist_ok=True)


def _toml_str(value: str | Path) -> str:
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def aiivr_toml(settings: LabSettings) -> str:
    """The [ami], [monitor], [outbound] and [recordings] sections that match this lab."""
    spool = settings.spool_dir
    return "\n".join([
        f"# Written by `aiivr lab up` for the Asterisk lab in {settings.root}.",
        "# Rewritten at every `lab up`; copy the sections you need into your own config.",
        "[ami]",
        f"host = {_toml_str(settings.host)}",
        f"port = {settings.port}",
        f"username = {_toml_str(settings.username)}",
        f"secret = {_toml_str(settings.secret)}",
        f"queue_log_path = {_toml_str(settings.queue_log_path)}",
        "",
        "[monitor]  # Originate to the supervisor's auto-answering phone, then ChanSpy",
        'originate_channel = "Local/{extension}@phones/n"',
        'context = "spy"',
        "",
        "[outbound]",
        'originate_channel = "Local/{extension}@phones/n"',
        'context = "outbound"',
        "",
        "[recordings]",
        f"spool_dir = {_toml_str(spool)}",
        f"path_map = {{ {_toml_str(PBX_RECORDINGS)} = {_toml_str(spool)} }}",
        "",
    ])
