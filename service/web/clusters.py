"""The clusters resource (role admin): the fleet of tenant clusters, added, changed, removed.

A new cluster is probed before it is accepted; its URL is sealed with SECRET_KEY at once and
never answered or logged (only workers open it)."""

from __future__ import annotations

import structlog
from aiohttp import web

from service.adapters.cluster_probe import parse_url, probe_cluster
from service.domain.clusters import ClusterAdd, ClusterPatch, cluster_name
from service.domain.errors import InvalidArgument, NotFound, PermissionDenied
from service.domain.roles import Permission
from service.domain.tokens import Principal
from service.store import clusters as store
from service.store import moves
from service.usecases import clusters
from service.web.auth import authorize
from service.web.bodies import read_json
from service.web.cluster_view import (
    render_cluster,
    render_cluster_account,
    render_removed_cluster,
)
from service.web.keys import SEAL, SESSIONS, SETTINGS
from service.web.paging import next_page_headers
from service.web.query import parse_int, query_params
from service.web.responses import json_response

log = structlog.get_logger(__name__)
ADD_EXAMPLE = 'a JSON object such as {"name": "eu-2", "region": "AWS_EU_CENTRAL_1", "url": ...}'


async def _fleet_admin(request: web.Request) -> Principal:
    """An admin of an organization FLEET_ORGANIZATIONS names (the fleet serves them all)."""
    principal = await authorize(request, Permission.MANAGE_CLUSTERS)
    allowed = request.app[SETTINGS].fleet_organizations
    if allowed and principal.organization_name not in allowed:
        raise PermissionDenied(
            f"organization {principal.organization_name} may not manage the tenant clusters "
            "(FLEET_ORGANIZATIONS)"
        )
    return principal


fleet_admin = _fleet_admin  # moves (service/web/moves.py) are the fleet's too


async def list_clusters_handler(request: web.Request) -> web.Response:
    await _fleet_admin(request)
    async with request.app[SESSIONS]() as session:
        found = await store.list_clusters(session)
    return json_response([render_cluster(cluster) for cluster in found])


async def get_cluster_handler(request: web.Request) -> web.Response:
    await _fleet_admin(request)
    name = cluster_name(request.match_info["name"])
    async with request.app[SESSIONS]() as session:
        cluster = await store.get_cluster(session, name)
    if cluster is None:
        raise NotFound(f"cluster {name} does not exist")
    return json_response(render_cluster(cluster))


async def cluster_accounts_handler(request: web.Request) -> web.Response:
    """The accounts the cluster holds, of every organization: what to move off it (paged)."""
    await _fleet_admin(request)
    name = cluster_name(request.match_info["name"])
    params = query_params(request)
    most = moves.ACCOUNTS_PAGE
    limit = parse_int(params, "limit", low=1, high=most, default=most)
    async with request.app[SESSIONS]() as session:
        if await store.get_cluster(session, name) is None:
            raise NotFound(f"cluster {name} does not exist")
        found, following = await moves.accounts_on(
            session, name, limit=limit, cursor=params.get("cursor")
        )
    headers = next_page_headers(request, following)
    return json_response([render_cluster_account(row) for row in found], headers=headers)


async def add_cluster_handler(request: web.Request) -> web.Response:
    await _fleet_admin(request)
    body = ClusterAdd.parse(await read_json(request, required=ADD_EXAMPLE))
    where = parse_url(body.url)
    host = body.public_host or where.host
    if not host:
        raise InvalidArgument("public_host: is required when the URL names no host")
    await probe_cluster(body.url)
    sealed = request.app[SEAL].seal(body.url)
    async with request.app[SESSIONS].begin() as session:
        cluster = await clusters.add_cluster(
            session, body, sealed_url=sealed, host=host, port=body.public_port or where.port
        )
        view = render_cluster(cluster)
    log.info("tenant_cluster.added", cluster=body.name, region=body.region)
    return json_response(view, status=201)


async def change_cluster_handler(request: web.Request) -> web.Response:
    await _fleet_admin(request)
    name = cluster_name(request.match_info["name"])
    changes = ClusterPatch.parse(await read_json(request, required="a JSON object of changes"))
    if "url" in changes:  # the cluster moved: checked like a new one, sealed at once
        url = changes.pop("url")
        parse_url(url)
        await probe_cluster(url)
        changes["sealed_url"] = request.app[SEAL].seal(url)
    async with request.app[SESSIONS].begin() as session:
        cluster = await clusters.change_cluster(session, name, changes)
        view = render_cluster(cluster)
    fields = sorted("url" if key == "sealed_url" else key for key in changes)
    log.info("tenant_cluster.changed", cluster=name, fields=fields)
    return json_response(view)


async def remove_cluster_handler(request: web.Request) -> web.Response:
    await _fleet_admin(request)
    name = cluster_name(request.match_info["name"])
    async with request.app[SESSIONS].begin() as session:
        cluster = await clusters.remove_cluster(session, name)
        view = render_removed_cluster(cluster)
    log.info("tenant_cluster.removed", cluster=name)
    return json_response(view)
