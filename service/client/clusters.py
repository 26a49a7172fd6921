"""`provisioner clusters …`: the fleet of tenant clusters, over the HTTP API (role admin)."""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Annotated, Any

import typer
from rich.text import Text

from service.client import follow
from service.client.commands import Call, WaitOption, api_command, api_command_with_api_url
from service.client.paging import AllPagesOption, pages
from service.client.render import details, moment
from service.client.tables import Column, FittedTable, Heading, table_of

clusters_app = typer.Typer(
    help="Tenant clusters: add, list, drain and remove them, move accounts (admin token).",
    no_args_is_help=True,
)
PATH = "/api/v2/clusters"
NameArgument = Annotated[str, typer.Argument(help="The cluster's name")]


_CLUSTER_COLUMNS = (
    Column("NAME", lambda cluster: cluster["name"]),
    Column("REGION", lambda cluster: cluster["region"]),
    Column(
        "STATE",
        lambda cluster: Text(
            cluster["state"], style="green" if cluster["state"] == "open" else "yellow"
        ),
    ),
    Column("ACCOUNTS", lambda cluster: f"{cluster['placed_accounts']}/{cluster['capacity']}"),
    Column(
        Heading("PUBLIC ADDRESS", drop=2),
        lambda cluster: f"{cluster['public_host']}:{cluster['public_port']}",
    ),
    Column(Heading("LAST OK", drop=3), lambda cluster: moment(cluster.get("last_ok_on"))),
    Column(Heading("LAST ERROR", drop=1), lambda cluster: cluster.get("last_error") or ""),
)


def clusters_table(clusters: list[dict[str, Any]]) -> FittedTable:
    return table_of(_CLUSTER_COLUMNS, clusters)


@clusters_app.command("add")
@api_command_with_api_url
def add_cluster(
    call: Call,
    name: NameArgument,
    *,
    region: Annotated[str, typer.Option(help="Its region, e.g. AWS_EU_CENTRAL_1")],
    cluster_url: Annotated[
        str,
        typer.Option(
            "--url",
            envvar="CLUSTER_URL",
            help="A superuser's postgresql:// URL (sealed by the API, never shown again)",
            show_envvar=True,
        ),
    ],
    public_host: Annotated[str | None, typer.Option(help="Host in customers' credentials")] = None,
    public_port: Annotated[int | None, typer.Option(help="Port in customers' credentials")] = None,
    capacity: Annotated[int | None, typer.Option(help="Most accounts it may hold")] = None,
) -> None:
    """Add a tenant cluster (the API checks it first). The API's URL is --api-url here.

    --public-host and --public-port default to the URL's host and port."""
    body: dict[str, Any] = {"name": name, "region": region, "url": cluster_url}
    optional = {"public_host": public_host, "public_port": public_port, "capacity": capacity}
    body.update({key: value for key, value in optional.items() if value is not None})
    call.show(call.api.request("POST", PATH, body=body).body, details)


@clusters_app.command("list")
@api_command
def list_clusters(call: Call) -> None:
    """List the tenant clusters with their state, accounts and health."""
    call.show(call.api.get(PATH), clusters_table)


def cluster_accounts_table(accounts: list[dict[str, Any]]) -> FittedTable:
    rows = FittedTable("ID", "ORGANIZATION", "NAME", "STATE")
    for account in accounts:
        rows.add_row(account["id"], account["organization"], account["name"], account["state"])
    return rows


@clusters_app.command("accounts")
@api_command
def cluster_accounts(
    call: Call,
    name: NameArgument,
    *,
    limit: Annotated[int | None, typer.Option(help="Accounts per page (API default 1000)")] = None,
    every_page: AllPagesOption = False,
) -> None:
    """List the accounts the cluster holds, of every organization (what to move off it).

    Oldest first; one page unless --all."""
    path = f"{PATH}/{urllib.parse.quote(name)}/accounts"
    found = pages(call.api, path, {"limit": limit}, every_page=every_page)
    call.show(found, cluster_accounts_table)


@clusters_app.command("drain")
@api_command
def drain_cluster(call: Call, name: NameArgument) -> None:
    """Take no new accounts on the cluster; its accounts keep working."""
    reply = call.api.request("PATCH", f"{PATH}/{name}", body={"state": "draining"})
    call.show(reply.body, details)


@clusters_app.command("remove")
@api_command
def remove_cluster(call: Call, name: NameArgument) -> None:
    """Remove the cluster from the fleet (refused while it holds accounts)."""
    call.show(call.api.request("DELETE", f"{PATH}/{name}").body, details)


@clusters_app.command("move")
@api_command
def move_account(
    call: Call,
    account: Annotated[
        str, typer.Argument(help="The account (name, id:<uuid>, <uuid> or externalId:<v>)")
    ],
    *,
    to: Annotated[str, typer.Option("--to", help="The cluster to move it to (same region)")],
    wait: WaitOption = False,
) -> None:
    """Move an account's database, data and login to another cluster (an operation: 202).
    An account id (`id:<uuid>` or the bare uuid, as `clusters accounts` lists) may be of any
    organization's account."""
    public_id = _account_id(account)
    if public_id is None:
        path = "/api/v2/accounts/" + urllib.parse.quote(account, safe=":") + ":move"
        reply = call.api.request("POST", path, body={"cluster": to})
    else:
        path = f"{PATH}/{urllib.parse.quote(to)}:move"
        reply = call.api.request("POST", path, body={"account": public_id})
    raise typer.Exit(follow.accepted(call.api, reply, wait=wait, as_json=call.as_json))


def _account_id(account: str) -> str | None:
    """The account id `account` spells (`id:<uuid>` or a bare uuid), else None (a name)."""
    text = account.removeprefix("id:")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None
