"""The content-addressed recording store under [recordings] dir. Files only: no database.

A file's place is derived from its SHA-256: `<dir>/<first two hex digits>/<sha256>.<ext>`,
so its name is its checksum and a second copy of the same audio is the same file.
`store()` copies into `<dir>/.incoming/`, hashing as it reads, fsyncs the copy, makes it
read-only and only then renames it into place and fsyncs the folders: a file at a final
path is always complete. The extension stays because Asterisk's Playback picks the
format by it (docs/recordings.md, "on the phone").
"""

from __future__ import annotations

import hashlib
import os
import stat
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

CHUNK = 1 << 20
INCOMING = ".incoming"
READ_ONLY = 0o444
WAV_HEADER = 44  # the canonical PCM header MixMonitor writes; nothing more = no audio
MISSING, ALTERED, ORPHANED = "missing", "altered", "orphaned"


class VaultError(Exception):
    """A file in the vault is not what its name says; nothing was changed."""


@dataclass(frozen=True)
class AudioInfo:
    format: str  # the extension, lower case: "wav"
    duration_seconds: float | None  # None when the format is not decoded here
    header_only: bool  # no audio at all: a 44-byte MixMonitor file of an unbridged call


@dataclass(frozen=True)
class Problem:
    kind: str  # missing | altered | orphaned
    path: str  # relative to the vault
    detail: str = ""


def probe(path: Path) -> AudioInfo:
    """What a recording holds. A WAV is read with the wave module; anything else (gsm,
    wav49, ...) is stored as it is, with no duration."""
    fmt = path.suffix.lstrip(".").lower() or "bin"
    size = path.stat().st_size
    if fmt != "wav":
        return AudioInfo(fmt, None, size == 0)
    try:
        with wave.open(str(path), "rb") as audio:
            frames, rate = audio.getnframes(), audio.getframerate()
            frame_bytes = audio.getsampwidth() * audio.getnchannels()
    except (wave.Error, EOFError):
        # Not decodable: an empty file is nothing; a damaged one is kept as evidence.
        return AudioInfo(fmt, None, size <= WAV_HEADER)
    if frames == 0 and size > WAV_HEADER and rate and frame_bytes:
        # Asterisk writes the sizes into the header when it closes the file: one that died
        # mid-call leaves audio behind a header that says "empty". Keep it, timed by its bytes.
        return AudioInfo(fmt, (size - WAV_HEADER) // frame_bytes / rate, False)
    return AudioInfo(fmt, frames / rate if rate else None, frames == 0)


def relative_path(sha256: str, fmt: str) -> str:
    return f"{sha256[:2]}/{sha256}.{fmt}"


def hash_file(path: Path) -> tuple[str, int]:
    """(SHA-256 hex, size in bytes)."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def copy_hashing(source: BinaryIO, target: BinaryIO) -> tuple[str, int]:
    """Copy and hash in one read; returns (SHA-256 hex, bytes copied)."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in `path` durable (POSIX: fsync the folder)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    relative: str  # vault_path


class Vault:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path_of(self, relative: str) -> Path:
        return self.root / relative

    def store(self, source: Path, fmt: str) -> Stored:
        """Copy `source` in. Idempotent: if the same content is already there, it is
        left alone (after checking that it really is the same content)."""
        incoming = self.root / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        temp = incoming / f"{os.getpid()}-{source.name}.part"
        try:
            with open(source, "rb") as src, open(temp, "wb") as dst:
                sha256, size = copy_hashing(src, dst)
                dst.flush()
                os.fsync(dst.fileno())
            os.chmod(temp, READ_ONLY)
            relative = relative_path(sha256, fmt)
            final = self.path_of(relative)
            if final.exists():
                # A crash after the rename and before the row leaves it here: the same
                # bytes, so keep it. Different bytes under this name: never overwrite.
                found, _ = hash_file(final)
                if found != sha256:
                    raise VaultError(f"{relative} is in the vault with other contents (hash {found[:12]}…)")
                return Stored(sha256, size, relative)
            shard_new = not final.parent.exists()
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, final)
            fsync_dir(final.parent)
            if shard_new:
                fsync_dir(self.root)
            return Stored(sha256, size, relative)
        finally:
            temp.unlink(missing_ok=True)

    def clean_incoming(self) -> int:
        """Remove copies a crash left half-made (never a stored file). Returns how many."""
        incoming = self.root / INCOMING
        removed = 0
        if incoming.is_dir():
            for leftover in incoming.iterdir():
                leftover.unlink(missing_ok=True)
                removed += 1
        return removed

    def files(self) -> Iterator[str]:
        """Every file in the vault (relative paths), the .incoming work folder aside."""
        if not self.root.is_dir():
            return
        for folder, dirs, names in os.walk(self.root):
            if Path(folder) == self.root:
                dirs[:] = [d for d in dirs if d != INCOMING]
            for name in names:
                yield str((Path(folder) / name).relative_to(self.root))

    def check(self, relative: str, sha256: str, size: int, *, rehash: bool) -> Problem | None:
        """Is the file a row names there, the right size, and (rehash) the right bytes?"""
        path = self.path_of(relative)
        try:
            info = path.stat()
        except FileNotFoundError:
            return Problem(MISSING, relative, "no such file")
        if not stat.S_ISREG(info.st_mode):
            return Problem(ALTERED, relative, "not a regular file")
        if relative != relative_path(sha256, Path(relative).suffix.lstrip(".")):
            return Problem(ALTERED, relative, "the stored hash no longer matches the file's name")
        if info.st_size != size:
            return Problem(ALTERED, relative, f"size {info.st_size}, stored {size}")
        if rehash:
            found, _ = hash_file(path)
            if found != sha256:
                return Problem(ALTERED, relative, f"SHA-256 {found[:12]}…, stored {sha256[:12]}…")
        return None
