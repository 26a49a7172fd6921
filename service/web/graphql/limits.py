"""What keeps one document from costing too much: its size in bytes (checked before parsing),
its tokens, aliases, depth, and an estimated cost (fields times the page sizes they fan out to).
Introspection is allowed and held to the same limits."""

from __future__ import annotations

from collections.abc import Callable

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from service.store.account_pages import MAX_PAGE
from service.store.operation_reads import MAX_LIMIT
from service.web.graphql.documents import DocumentCache, ValidDocuments
from service.web.graphql.nodes import MAX_OPERATIONS

MAX_DOCUMENT_BYTES = 16 * 1024
MAX_TOKENS = 2_000
MAX_ALIASES = 20
# The schema's deepest selection (accounts > edges > node > operations > a leaf) is 4 deep.
# Introspection fields do not count towards depth (strawberry's limiter skips `__` fields), so
# nesting `ofType` is held by the token and cost limits instead.
MAX_DEPTH = 6
MAX_COST = 10_000
# How many items a list field fans out to: its literal `first`/`last`; with a variable there,
# the most it may be; without, its default (`operations` as an account's: at the root it
# multiplies nothing).
DEFAULT_FAN_OUT = {"accounts": MAX_PAGE, "operations": 10}
MOST_FAN_OUT = {"accounts": MAX_PAGE, "operations": MAX_OPERATIONS}
PAGE_ARGUMENTS = ("first", "last")


def _fan_out(node: FieldNode) -> int:
    name = node.name.value
    for argument in node.arguments or ():
        if argument.name.value not in PAGE_ARGUMENTS:
            continue
        if isinstance(argument.value, IntValueNode):
            return max(1, min(int(argument.value.value), MAX_LIMIT))
        return MOST_FAN_OUT.get(name, 1)
    return DEFAULT_FAN_OUT.get(name, 1)


class _Cost:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments

    def of(self, selections: SelectionSetNode | None, seen: frozenset[str] = frozenset()) -> int:
        """Each field costs 1 plus its selections' cost times the items it fans out to."""
        if selections is None:
            return 0
        total = 0
        for node in selections.selections:
            if isinstance(node, FieldNode):
                total += 1 + _fan_out(node) * self.of(node.selection_set, seen)
            elif isinstance(node, InlineFragmentNode):
                total += self.of(node.selection_set, seen)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    total += self.of(fragment.selection_set, seen | {node.name.value})
            if total > MAX_COST:
                break  # enough to refuse; stop before a crafted document costs us the time
        return total


class CostLimit(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        document = context.document
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        cost = _Cost(fragments)
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                spent = cost.of(definition.selection_set)
                if spent > MAX_COST:
                    name = definition.name.value if definition.name else "the operation"
                    context.report_error(
                        GraphQLError(
                            f"{name} would cost more than {MAX_COST} (estimated fields times "
                            "page sizes); ask for smaller pages or fewer fields",
                            definition,
                        )
                    )


def limit_extensions(documents: ValidDocuments) -> list[Callable[[], SchemaExtension]]:
    """Factories: strawberry builds each extension afresh for every request. A document in
    `documents` passed every limit below before (they depend on its text alone)."""
    return [
        lambda: DocumentCache(documents),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: AddValidationRules([CostLimit]),
    ]
