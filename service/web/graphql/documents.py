"""The documents that passed parsing and every validation rule, by their text, so a document
sent again is neither parsed nor validated again."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

# Distinct valid documents remembered per process: clients send a handful of fixed documents
# (with variables); the bound keeps crafted unique texts from growing memory.
MAX_DOCUMENTS = 256


class ValidDocuments:
    """A bounded LRU of text -> parsed document, holding only documents that validated.

    Validation depends on the text alone: the schema and the rules are fixed per process, and no
    rule reads variable values (the cost rule counts a variable page size at its most), so a
    document valid once is valid for any variables. Invalid documents are never remembered:
    they are parsed and refused again each time they are sent."""

    def __init__(self, size: int = MAX_DOCUMENTS) -> None:
        self.size = size
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()

    def get(self, text: str) -> DocumentNode | None:
        document = self._documents.get(text)
        if document is not None:
            self._documents.move_to_end(text)
        return document

    def add(self, text: str, document: DocumentNode) -> None:
        self._documents[text] = document
        self._documents.move_to_end(text)
        while len(self._documents) > self.size:
            self._documents.popitem(last=False)

    def __len__(self) -> int:
        return len(self._documents)


class DocumentCache(SchemaExtension):
    """Skips parsing and validation for a document in `documents`; remembers one that passed."""

    def __init__(self, documents: ValidDocuments) -> None:
        super().__init__()
        self.documents = documents
        self.hit = False

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        document = self.documents.get(context.query) if context.query else None
        if document is not None:
            context.graphql_document = document  # strawberry parses only when this is unset
            self.hit = True
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.hit:
            context.pre_execution_errors = []  # strawberry validates only when this is None
        yield
        if (
            not self.hit
            and context.query
            and context.graphql_document is not None
            and context.pre_execution_errors == []
        ):
            self.documents.add(context.query, context.graphql_document)
