"""Encryption at rest for CMC keys and OAuth secrets (Fernet, from `cryptography`).

The key comes from `$ETIMS_SECRET_KEY` or from `<data_dir>/secret.key`, which is created with
mode 0600 the first time a secret is stored. Once secrets exist, a missing or wrong key is an
error: a fresh key is never generated silently, because it could not read what is stored.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from connector.errors import SecretKeyError

KEY_ENV = "ETIMS_SECRET_KEY"
KEY_FILE = "secret.key"
PREFIX = "fernet:"


class SecretBox:
    """Encrypts and decrypts short secrets; never logs or repr()s them."""

    def __init__(self, data_dir: Path, environ: dict[str, str] | None = None) -> None:
        self.key_path = Path(data_dir) / KEY_FILE
        self._environ = os.environ if environ is None else environ
        self._fernet: Fernet | None = None

    def __repr__(self) -> str:
        return f"SecretBox(key_path={str(self.key_path)!r})"

    def _load(self, *, create: bool) -> Fernet:
        if self._fernet is not None:
            return self._fernet
        key = self._environ.get(KEY_ENV)
        origin = f"${KEY_ENV}"
        if not key and self.key_path.exists():
            key, origin = self.key_path.read_text().strip(), str(self.key_path)
        if not key:
            if not create:
                raise SecretKeyError(
                    f"no encryption key: set {KEY_ENV} or restore {self.key_path}; "
                    "stored secrets cannot be read without the key they were encrypted with"
                )
            key = self._create_key_file()
            origin = str(self.key_path)
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError):
            raise SecretKeyError(f"the encryption key in {origin} is not a valid Fernet key") from None
        return self._fernet

    def _create_key_file(self) -> str:
        self.key_path.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key().decode()
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key

    def encrypt(self, secret: str, *, first_secret: bool) -> str:
        """Encrypt; `first_secret` allows creating the key file when nothing is stored yet."""
        return PREFIX + self._load(create=first_secret).encrypt(secret.encode()).decode()

    def decrypt(self, token: str, *, what: str = "secret") -> str:
        if not token.startswith(PREFIX):
            raise SecretKeyError(f"the stored {what} is not encrypted in a format this version reads")
        try:
            return self._load(create=False).decrypt(token[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                f"the encryption key does not fit the stored {what}: restore the key it was stored "
                f"with ({KEY_ENV} or {self.key_path}), or enter the secret again"
            ) from None
