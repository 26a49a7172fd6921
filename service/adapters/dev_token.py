"""The development organization and its admin token, kept in the data folder for `up`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from service.domain.roles import Role
from service.domain.tokens import DEV_TOKEN_FILE
from service.store.tokens import ensure_organization, issue_token, token_is_valid

DEV_ORGANIZATION = "DEV_ORG"


def ensure_dev_token(engine: Engine, data_dir: Path) -> str:
    """The dev admin token: the one saved in `data_dir` while it is valid, else a new one."""
    path = data_dir / DEV_TOKEN_FILE
    with Session(engine) as session, session.begin():
        if path.exists():
            token = path.read_text().strip()
            if token_is_valid(session, token):
                return token
        organization = ensure_organization(session, DEV_ORGANIZATION)
        token = issue_token(session, organization, Role.ADMIN, "development admin (provisioner up)")
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(token)
    path.chmod(0o600)
    return token
