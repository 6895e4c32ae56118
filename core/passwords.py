"""Secrets: passwords and PINs hashed with argon2id, new PINs and temporary passwords."""

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # argon2id with the library's RFC 9106 "low memory" defaults
    return PasswordHasher()


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    if not secret_hash:
        return False
    try:
        return _hasher().verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the login is unknown, so a wrong login and a wrong password
# take the same time.
DUMMY_HASH = hash_secret("not-a-real-password")


def new_pin() -> str:
    return f"{secrets.randbelow(10_000):04d}"


# no 0/O, 1/l/I: a temporary password is read aloud or copied from a screen
_TEMPORARY_PASSWORD_LETTERS = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_PASSWORD_LENGTH = 12


def temporary_password() -> str:
    return "".join(secrets.choice(_TEMPORARY_PASSWORD_LETTERS) for _ in range(TEMPORARY_PASSWORD_LENGTH))
