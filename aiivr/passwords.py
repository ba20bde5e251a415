"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from aiivr.errors import BadInput

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs the same time
# as a wrong password and the timing tells nothing about which part was wrong.
_DUMMY_HASH = _hasher.hash("aiivr-dummy-password")
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise BadInput(f"password too short: use at least {MIN_LENGTH} characters")
    if password.strip() != password:
        raise BadInput("password must not start or end with white space")


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
