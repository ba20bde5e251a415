"""Run `aiivr` in-process the way a user would, against a real database."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass

import pytest

from cli.main import main
from tests.conftest import ADMIN_PASSWORD


@dataclass
class Result:
    code: int
    out: str
    err: str


class Aiivr:
    def __init__(self, config_path, capsys, monkeypatch) -> None:
        self.config_path = str(config_path)
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, stdin: str = "") -> Result:
        self.capsys.readouterr()
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["--config", self.config_path, *args])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def login(self, name: str, password: str) -> None:
        result = self("login", name, "--password-stdin", stdin=password + "\n")
        assert result.code == 0, result.err


@pytest.fixture
def aiivr(database_url, tmp_path, capsys, monkeypatch):
    path = tmp_path / "aiivr.toml"
    path.write_text(f'[site]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{database_url}"\n'
                    '[ami]\nsecret = "top-secret-ami"\n')
    return Aiivr(path, capsys, monkeypatch)


@pytest.fixture
def admin_cli(aiivr):
    aiivr.login("admin", ADMIN_PASSWORD)
    return aiivr
