"""Password policy and Argon2id hashing (argon2-cffi). A password is never logged, stored or shown."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # longer input is refused before hashing (no hashing megabytes on request)


class WeakPassword(ValueError):
    """The password breaks the policy (message bilingual; it never contains the password)."""


def default_hasher() -> PasswordHasher:
    """argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)."""
    return PasswordHasher()


def check_password(password: str | None, name: str | None = None) -> None:
    """Raise WeakPassword unless `password` has at least MIN_LENGTH characters, is not blank,
    and is not the account name."""
    if password is None or not password.strip():
        raise WeakPassword("密码不能为空 / the password must not be empty")
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少 {MIN_LENGTH} 个字符 / the password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"密码最多 {MAX_LENGTH} 个字符 / the password may have at most {MAX_LENGTH} characters")
    if any(unicodedata.category(c) == "Cc" for c in password):
        raise WeakPassword("密码不能含控制字符 / the password must not contain control characters")
    if name and password.strip().casefold() == name.strip().casefold():
        raise WeakPassword("密码不能与账号名相同 / the password must not be the account name")


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, stored: str, password: str) -> bool:
    """True when `password` matches `stored`; False on a mismatch or an unreadable hash."""
    if not password or len(password) > MAX_LENGTH:
        return False
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
