"""Where AIIVR keeps its files by default (XDG base directories)."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    # The XDG spec says a relative path in these variables is invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "aiivr"


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "aiivr"


def default_config_path() -> Path:
    return config_dir() / "aiivr.toml"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'aiivr.db'}"
