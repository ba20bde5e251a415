"""Fixtures for tests against the real Asterisk lab (pbx_bridge.lab). Mark such tests `lab`.

`lab` (session): Asterisk running in a test rootfs of its own (/var/lib/aiivr/lab-test/slot-N,
kept between sessions; the first time copied from the default lab /var/lib/aiivr/lab, which
is built first if missing) on a free loopback port.
It fails, never skips, when the lab cannot start: run `.ci/install-lab.sh` as root first.
`clean_lab` (function): the same lab with no members, no channels, an empty queue_log and no
recordings.

AMI here is a plain blocking socket client (pbx_bridge.lab_ami.RawAmi), independent of the
product's transport, so a bug there cannot hide a bug in the lab and the other way round.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pytest

from pbx_bridge import lab as lab_manager
from pbx_bridge import lab_calls
from pbx_bridge.lab_ami import RawAmi
from pbx_bridge.lab_build import ASTERISK_BIN, is_built, require_root, scrub

TEST_ROOTS = Path("/var/lib/aiivr/lab-test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabHandle:
    host: str
    port: int
    username: str
    secret: str
    root: Path
    spool_dir: Path
    queue_log_path: Path
    config_path: Path
    _open: list[RawAmi] = field(default_factory=list, repr=False)

    def cli(self, command: str) -> str:
        """One Asterisk CLI command (asterisk -rx) in this lab."""
        return lab_manager.cli(command, self.root)

    def restart(self) -> None:
        """Stop and start Asterisk (same port and configs): AMI drops, members and calls are gone."""
        lab_manager.restart(self.root)

    def ami(self, *, login: bool = True, timeout: float = 15) -> RawAmi:
        """A new AMI connection, logged in as the product's user; closed at session end."""
        client = RawAmi(self.host, self.port, timeout=timeout)
        client.connect()
        self._open.append(client)
        if login:
            client.login(self.username, self.secret)
        return client

    def originate_customer(self, queue: str, *, talk: float | None = None, ring: float | None = None,
                           wait: float = 60, csat: int | None = None, noanswer: str | None = None,
                           timeout: float | None = None, callerid: str = "5550001",
                           talk_per_agent: dict[str, float] | None = None) -> str:
        """A customer calling `queue` (knobs: see lab_calls.customer); returns the call's Linkedid.

        Waits only until the customer's channel is up, not for the call to end.
        """
        headers = lab_calls.customer(queue, talk=talk, ring=ring, wait=wait, csat=csat, noanswer=noanswer,
                                     timeout=timeout, callerid=callerid, talk_per_agent=talk_per_agent)
        with RawAmi(self.host, self.port, timeout=15) as client:
            client.connect()
            client.login(self.username, self.secret)
            action_id = client.send("Originate", **headers)
            done = client.wait_for("OriginateResponse", ActionID=action_id)
        if done.get("Response") != "Success":
            raise AssertionError(f"customer originate into {queue} failed: {done}")
        return done["Uniqueid"]  # the ;1 channel's Uniqueid, which is the call's Linkedid

    def queue_log(self) -> list[str]:
        return self.queue_log_path.read_text().splitlines() if self.queue_log_path.exists() else []

    def wait_idle(self, timeout: float = 30) -> None:
        """Until Asterisk has no channel left."""
        end = time.monotonic() + timeout
        while not self.cli("core show channels count").strip().startswith("0 active channels"):
            if time.monotonic() > end:
                raise AssertionError(f"lab still has channels after {timeout} s:\n{self.cli('core show channels')}")
            time.sleep(0.1)

    def reset(self) -> None:
        """No channels, no queue members, empty queue_log, no recordings."""
        self.cli("channel request hangup all")
        self.wait_idle()
        with self.ami() as client:
            for member in client.collect("QueueStatus"):
                if member.get("Event") == "QueueMember":
                    client.action("QueueRemove", Queue=member["Queue"], Interface=member["Location"])
        # Asterisk appends to queue_log (O_APPEND), so truncating it in place is safe
        if self.queue_log_path.exists():
            self.queue_log_path.write_text("")
        for wav in self.spool_dir.glob("*"):
            wav.unlink()

    def close(self) -> None:
        for client in self._open:
            client.close()
        self._open.clear()


def _slot(seed: Path) -> tuple[Path, TextIO]:
    """A test rootfs of our own: the first slot no other session holds, ready to start.

    Slots are kept between sessions (flock, released when a session ends or dies), so a
    session pays for a copy of the lab only the first time, and two sessions side by side
    (two engineers, two terminals) never share an Asterisk.
    """
    TEST_ROOTS.mkdir(parents=True, exist_ok=True)
    for n in itertools.count():
        lock = open(TEST_ROOTS / f"slot-{n}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        root = TEST_ROOTS / f"slot-{n}"
        fresh = is_built(root) and (root / ASTERISK_BIN).stat().st_ino == (seed / ASTERISK_BIN).stat().st_ino
        if fresh:
            lab_manager.down(root)  # an Asterisk a killed session left behind
            scrub(root)  # and its queue_log, recordings, astdb
        else:
            lab_manager.clone(seed, root)  # first use, or the default lab was rebuilt since
        return root, lock
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def lab():
    seed = lab_manager.default_root()
    lock: TextIO | None = None
    if os.geteuid() != 0 and not os.environ.get("CI"):
        # The lab is a chroot: it needs root. CI (root) always runs this tier and fails
        # when it cannot; a developer's non-root `make test` says plainly what it left out.
        pytest.skip("the Asterisk lab tier needs root (sudo make test, or CI's .ci/run)")
    try:
        require_root()
        if not is_built(seed):
            lab_manager.build(seed)  # what .ci/install-lab.sh does; ~35 s once
        if os.environ.get("AIIVR_LAB_TEST_ROOT"):
            root = Path(os.environ["AIIVR_LAB_TEST_ROOT"])
        else:
            root, lock = _slot(seed)
        config = lab_manager.up(port=free_port(), root=root, seed=seed)
    except lab_manager.LabError as error:
        pytest.fail(f"the Asterisk lab did not start: {error}", pytrace=False)
    s = lab_manager.settings(root)
    assert s is not None
    handle = LabHandle(host=s.host, port=s.port, username=s.username, secret=s.secret, root=s.root,
                       spool_dir=s.spool_dir, queue_log_path=s.queue_log_path, config_path=config)
    yield handle
    handle.close()
    lab_manager.down(root)
    if lock is not None:
        lock.close()


@pytest.fixture
def clean_lab(lab):
    lab.reset()
    yield lab
    lab.close()
