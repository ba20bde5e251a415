"""Asking for passwords: a hidden prompt on a terminal, or one line from stdin."""

from __future__ import annotations

import sys

import typer

from aiivr.errors import BadInput


def password(*, from_stdin: bool, confirm: bool, prompt: str = "Password") -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise BadInput("--password-stdin: nothing on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise BadInput("no terminal to ask for a password on: pass --password-stdin and pipe it in")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
