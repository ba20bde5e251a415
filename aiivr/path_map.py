"""Paths as the PBX sees them <-> the same files as seen here ([recordings] path_map).

path_map is a table {PBX prefix: local prefix}, for a chrooted Asterisk or a spool
mounted from another host. A path under no prefix is the same on both sides (Asterisk on
this host, no chroot). The reverse direction is what `recording play --on-phone` needs:
Asterisk must find the vault file, so the vault must lie under a mapped local prefix (or
be reachable at the same path by the PBX). Longest prefix wins, on whole path components.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Mapping


def to_local(pbx_path: str, path_map: Mapping[str, str]) -> str:
    """Where a file Asterisk named (MIXMONITOR_FILENAME) is found from here."""
    return _translate(pbx_path, path_map.items())


def to_pbx(local_path: str, path_map: Mapping[str, str]) -> str:
    """The name Asterisk must use for a file we hold (e.g. Playback of a vault file)."""
    return _translate(local_path, [(local, pbx) for pbx, local in path_map.items()])


def _translate(path: str, pairs) -> str:
    candidate = PurePosixPath(path)
    best: tuple[int, str] | None = None
    for source, target in pairs:
        prefix = PurePosixPath(source)
        if candidate == prefix or prefix in candidate.parents:
            depth = len(prefix.parts)
            if best is None or depth > best[0]:
                best = (depth, str(PurePosixPath(target) / candidate.relative_to(prefix)))
    return best[1] if best else path
