"""Credentials: Argon2 passwords, random tokens stored as sha256, session and CSRF secrets."""

import hashlib
import hmac
import secrets

from pwdlib import PasswordHash

_passwords = PasswordHash.recommended()  # Argon2id

TOKEN_PREFIX = "sut_"


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _passwords.verify(password, password_hash)
    except Exception:  # a malformed stored hash is simply a failed sign-in
        return False


# Verify against this when the user does not exist, so timing does not reveal usernames.
DUMMY_HASH = _passwords.hash("not-a-real-password")


def new_secret(nbytes: int = 32) -> str:
    """URL-safe random secret with nbytes × 8 bits of entropy (≥ 128 bits everywhere)."""
    return secrets.token_urlsafe(nbytes)


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def sha256_hex(value: str | bytes) -> str:
    if isinstance(value, str):
        value = value.encode()
    return hashlib.sha256(value).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
