"""A paged list's `Link: <…>; rel="next"` header, the same for every list that has one."""

from __future__ import annotations

from aiohttp import web


def next_page_headers(request: web.Request, following: str | None) -> dict[str, str]:
    """`Link` to this request again with `cursor=following`; no header on the last page."""
    if following is None:
        return {}
    next_page = request.rel_url.update_query({"cursor": following})
    return {"Link": f'<{next_page}>; rel="next"'}
