"""The README and docs/ name only `provisioner` commands, HTTP routes and links that exist."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from aiohttp import web
from pydantic import SecretStr

from service.cli import app as cli_app
from service.settings import Settings
from service.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"`([^`\n]+)`")
# `provisioner ops list`, `provisioner accounts create|list|get`: a word after the command is
# checked as a subcommand only when the command is a group.
_WORD = r"[a-z][a-z0-9-]*"
_COMMAND = re.compile(rf"(?<![\w.-])provisioner[ \t]+({_WORD})(?:[ \t]+({_WORD}(?:\|{_WORD})*))?")
_PATH_CHARS = r"[^\s`'\"()\[\]<>,;|?#]*"
# A path may hold placeholders such as `<handle>`.
_PATH = rf"/{_PATH_CHARS}(?:<[^>\s]*>{_PATH_CHARS})*"
# Every path under /api/v2, wherever it stands (`$API/api/v2/...`, `Location: /api/v2/...`).
_API_PATH = re.compile(rf"/api/v2{_PATH}")
# Other paths of the service where a request is written: after a method, `$API` or a base URL,
# or alone in a code span (`/healthz`).
_METHODS = "GET|POST|PUT|PATCH|DELETE|HEAD"
_REQUEST_PATH = re.compile(rf"(?:\b(?:{_METHODS})\s+|\$API|https?://[\w.-]+(?::\d+)?)({_PATH})")
_LONE_PATH = re.compile(r"^/[\w.-]+$")
# Folders of the machine, not of the API, when they stand alone in a code span.
_MACHINE_FOLDERS = frozenset({"/root", "/var", "/etc", "/home", "/usr", "/opt"})
# `GET /api/v2/accounts`, and curl's `-X DELETE "$API/api/v2/accounts/my_acct"`.
_METHOD_AND_PATH = re.compile(rf"\b({_METHODS})[ \t]+\"?(?:\$API)?({_PATH})")


@dataclass(frozen=True)
class Mention:
    file: str
    text: str


def _code(markdown: str) -> list[str]:
    """The fenced blocks and inline code spans of a Markdown text."""
    blocks = _FENCE.findall(markdown)
    prose = _FENCE.sub("", markdown)
    return blocks + _INLINE.findall(prose)


def _commands_named(name: str, markdown: str) -> set[Mention]:
    mentions = set()
    for code in _code(markdown):
        for match in _COMMAND.finditer(code):
            command, following = match.group(1), match.group(2)
            words = [command] if following is None else [command, following]
            mentions.add(Mention(name, " ".join(words)))
    return mentions


def _concrete(path: str) -> str:
    """A documented path as a request would send it: placeholders filled, punctuation cut."""
    path = re.sub(r"\{[^}]*\}|<[^>]*>|\$\w+|…", "x", path)
    return path.rstrip(".:")


def _paths_named(name: str, markdown: str) -> set[Mention]:
    mentions = {Mention(name, _concrete(m)) for m in _API_PATH.findall(markdown)}
    mentions |= {Mention(name, _concrete(m)) for m in _REQUEST_PATH.findall(markdown)}
    for code in _INLINE.findall(markdown):
        if _LONE_PATH.match(code) and code not in _MACHINE_FOLDERS:
            mentions.add(Mention(name, code))
    return mentions


def _methods_named(name: str, markdown: str) -> set[tuple[str, Mention]]:
    return {
        (method, Mention(name, _concrete(path)))
        for method, path in _METHOD_AND_PATH.findall(markdown)
        if path.startswith(("/api/", "/healthz", "/readyz", "/metrics", "/docs"))
    }


def _documents() -> list[tuple[str, str]]:
    return [(str(path.relative_to(ROOT)), path.read_text()) for path in DOCS]


def _cli_commands() -> dict[str, set[str]]:
    """Each top-level command with its subcommands (none for a plain command)."""
    return {
        name: set(_subcommands(command))
        for name, command in _subcommands(typer.main.get_command(cli_app)).items()
    }


def _subcommands(command: object) -> dict[str, object]:
    """A group's commands by name; typer's groups carry its own vendored click, hence no
    isinstance check against click.Group."""
    commands = getattr(command, "commands", None)
    return dict(commands) if isinstance(commands, dict) else {}


def _unknown_command(text: str, commands: dict[str, set[str]]) -> bool:
    command, _, following = text.partition(" ")
    if command not in commands:
        return True
    subcommands = commands[command]
    return bool(subcommands) and bool(following) and not set(following.split("|")) <= subcommands


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> web.UrlDispatcher:
    """The app's routes; building them connects to nothing (that happens at start-up)."""
    settings = Settings(
        database_url="postgresql://nobody@127.0.0.1:1/none",
        redis_url="redis://127.0.0.1:1/0",
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key=SecretStr("Hu1vMxXB3tKQ2lO6u0JbG3hZ3Lk6q3t2r9mWcP0aYxU="),
    )
    return create_app(settings).router


def _resource_for(router: web.UrlDispatcher, path: str) -> web.AbstractResource | None:
    for resource in router.resources():
        info = resource.get_info()
        pattern = info.get("pattern")
        if info.get("path") == path or (pattern is not None and pattern.fullmatch(path)):
            return resource
    return None


def test_the_docs_name_commands_and_paths_at_all() -> None:
    """The extraction itself works: a test that finds nothing would pass for nothing."""
    commands = set().union(*(_commands_named(n, t) for n, t in _documents()))
    paths = set().union(*(_paths_named(n, t) for n, t in _documents()))
    assert Mention("README.md", "up") in commands
    assert Mention("docs/cli.md", "ops list") in commands
    assert Mention("README.md", "/api/v2/accounts/my_acct") in paths
    assert Mention("docs/api.md", "/healthz") in paths


def test_every_provisioner_command_in_the_docs_exists() -> None:
    commands = _cli_commands()
    named = set().union(*(_commands_named(n, t) for n, t in _documents()))
    unknown = sorted(
        f"{m.file}: provisioner {m.text}" for m in named if _unknown_command(m.text, commands)
    )
    assert not unknown, "commands the typer app does not have:\n" + "\n".join(unknown)


def test_every_http_path_in_the_docs_is_a_route(router: web.UrlDispatcher) -> None:
    named = set().union(*(_paths_named(n, t) for n, t in _documents()))
    unknown = sorted(f"{m.file}: {m.text}" for m in named if _resource_for(router, m.text) is None)
    assert not unknown, "paths no route of the app matches:\n" + "\n".join(unknown)


def test_every_method_and_path_in_the_docs_is_a_route(router: web.UrlDispatcher) -> None:
    named = set().union(*(_methods_named(n, t) for n, t in _documents()))
    unknown = []
    for method, mention in sorted(named, key=lambda pair: (pair[1].file, pair[1].text)):
        resource = _resource_for(router, mention.text)
        if resource is None or method not in {route.method for route in resource}:
            unknown.append(f"{mention.file}: {method} {mention.text}")
    assert not unknown, "methods no route of the app answers:\n" + "\n".join(unknown)


_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#+ (.*)$", re.MULTILINE)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_between_the_docs_leads_somewhere() -> None:
    broken = []
    for path in DOCS:
        for target in _LINK.findall(_FENCE.sub("", path.read_text())):
            if target.startswith(("http://", "https://")):
                continue
            file, _, anchor = target.partition("#")
            linked = path.parent / file if file else path
            headings = (
                _HEADING.findall(_FENCE.sub("", linked.read_text())) if linked.is_file() else []
            )
            if not linked.exists() or (anchor and anchor not in map(_anchor, headings)):
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, "links to no file or heading:\n" + "\n".join(broken)


_REPOSITORY_FILE = re.compile(r"(?<![\w/.-])((?:service|workers|tests|docs)/[\w./-]*[\w/])")


def test_every_file_of_the_repository_the_docs_name_exists() -> None:
    """Modules move (service/domain, store, ...): a page naming the old place fails here."""
    missing = sorted(
        f"{path.relative_to(ROOT)}: {named}"
        for path in DOCS
        for code in _code(path.read_text())
        for named in _REPOSITORY_FILE.findall(code)
        if not (ROOT / named).exists()
    )
    assert not missing, "files that do not exist:\n" + "\n".join(missing)
