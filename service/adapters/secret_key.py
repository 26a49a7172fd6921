"""The server key that seals passwords: SECRET_KEY, or a key kept in the data folder."""

from __future__ import annotations

from pathlib import Path

from service.domain.passwords import new_secret_key
from service.settings import Settings

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


def secret_key_from_file(data_dir: Path) -> str:
    """The key kept in the data folder (0600), created on first use."""
    path = data_dir / SECRET_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(new_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


def secret_key(settings: Settings) -> str:
    """SECRET_KEY, or the key kept in the data folder (created on first use)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    return secret_key_from_file(settings.data_dir)
