"""Where `aiivr login` keeps the session token on this machine.

One file per database (keyed by a hash of its URL), so logging in to the demo's
throwaway database never replaces the session for the real one. The directory is
0700 and the file 0600; only a hash of the token is in the database.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from aiivr import paths


def session_file(database_url: str) -> Path:
    key = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return paths.config_dir() / "sessions" / f"{key}.token"


def save(database_url: str, token: str) -> Path:
    path = session_file(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file that existed
    return path


def load(database_url: str) -> str | None:
    path = session_file(database_url)
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def forget(database_url: str) -> None:
    session_file(database_url).unlink(missing_ok=True)
