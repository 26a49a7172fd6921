"""The development organization and its admin token, kept in the data folder for `up`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.models import ApiToken
from service.roles import Role
from service.tokens import ensure_organization, hash_token, issue_token

DEV_ORGANIZATION = "DEV_ORG"
DEV_TOKEN_FILE = "dev-admin.token"  # noqa: S105 - a file name, not a secret


def ensure_dev_token(engine: Engine, data_dir: Path) -> str:
    """The dev admin token: the one saved in `data_dir` while it is valid, else a new one."""
    path = data_dir / DEV_TOKEN_FILE
    with Session(engine) as session, session.begin():
        if path.exists():
            token = path.read_text().strip()
            known = session.scalar(
                select(ApiToken.id).where(
                    ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
                )
            )
            if known is not None:
                return token
        organization = ensure_organization(session, DEV_ORGANIZATION)
        token = issue_token(session, organization, Role.ADMIN, "development admin (provisioner up)")
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(token)
    path.chmod(0o600)
    return token
