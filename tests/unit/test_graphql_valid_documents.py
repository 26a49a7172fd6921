"""The remembered valid GraphQL documents: bounded, least recently used first out."""

from __future__ import annotations

from graphql import parse

from service.web.graphql.documents import ValidDocuments


def test_the_least_recently_used_document_leaves_first_and_the_size_holds() -> None:
    documents = ValidDocuments(size=2)
    a, b, c = (parse(f"{{ {name} }}") for name in "abc")
    documents.add("a", a)
    documents.add("b", b)
    assert documents.get("a") is a  # now the most recently used
    documents.add("c", c)
    assert len(documents) == 2
    assert documents.get("b") is None
    assert documents.get("a") is a
    assert documents.get("c") is c
