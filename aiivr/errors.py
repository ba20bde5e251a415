"""Errors a user can act on, each with the exit code the CLI contract gives it.

0 done · 1 bad input or not found · 2 usage error · 3 not logged in or permission
denied · 4 the PBX (or `aiivr serve`) did not answer in time or refused.
"""

from __future__ import annotations


class AiivrError(Exception):
    """An error whose message is one clear line meant for the person at the terminal."""

    exit_code = 1


class BadInput(AiivrError):
    exit_code = 1


class NotFound(AiivrError):
    exit_code = 1


class Conflict(AiivrError):
    """The request clashes with what is stored (a duplicate name, a wrong state)."""

    exit_code = 1


class ConfigError(AiivrError):
    exit_code = 1


class DatabaseError(AiivrError):
    """The database is unreachable, locked past the timeout, or at the wrong schema."""

    exit_code = 1


class NotAuthenticated(AiivrError):
    exit_code = 3


class PermissionDenied(AiivrError):
    exit_code = 3


class PbxError(AiivrError):
    """Asterisk (or `aiivr serve`) did not answer in time, or refused, with its reason."""

    exit_code = 4
