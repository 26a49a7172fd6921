"""The OpenAPI 3.1 document, built from the route table and the models requests and answers use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode
from pydantic_core import CoreSchema

from service.domain.errors import ErrorBody, PermissionDenied
from service.domain.roles import GRANTS, Role, allows
from service.web.openapi.answers import AUTHENTICATED_REFUSALS, refusals
from service.web.openapi.metadata import Answer, Doc, Header, Param, Route
from service.web.openapi.parameters import REQUEST_ID, REQUEST_ID_ANSWERED
from service.web.openapi.prose import INFO, SECURITY_SCHEME, TAGS

OPENAPI_VERSION = "3.1.0"
SCHEMAS = "#/components/schemas/"


class _Generator(GenerateJsonSchema):
    """pydantic's JSON Schema without a title on every property (the names say it)."""

    def field_title_should_be_set(self, schema: CoreSchema) -> bool:
        return False


class _Schemas:
    """Schemas asked for while the document is assembled, generated together at the end so
    that every model is written once under `components/schemas`."""

    def __init__(self) -> None:
        self._wanted: list[tuple[dict[str, Any], JsonSchemaMode, Any]] = []

    def of(self, type_: Any, mode: JsonSchemaMode) -> dict[str, Any]:
        """A placeholder filled with the schema of `type_` (or a `$ref` to it) by `generate`."""
        placeholder: dict[str, Any] = {}
        self._wanted.append((placeholder, mode, type_))
        return placeholder

    def generate(self) -> dict[str, Any]:
        """Fill every placeholder; the shared definitions."""
        inputs = [(i, mode, TypeAdapter(t)) for i, (_, mode, t) in enumerate(self._wanted)]
        schemas, definitions = TypeAdapter.json_schemas(
            inputs,
            ref_template=SCHEMAS + "{model}",
            union_format="primitive_type_array",
            schema_generator=_Generator,
        )
        for (index, _), schema in schemas.items():
            self._wanted[index][0].update(schema)
        defs: dict[str, Any] = definitions.get("$defs", {})
        return defs


def _least_role(doc: Doc) -> Role | None:
    if doc.permission is None:
        return None
    permission = doc.permission
    return min((r for r in Role if allows(r, permission)), key=lambda r: len(GRANTS[r]))


def _answers(doc: Doc) -> list[Answer]:
    """The operation's own answers, then the refusals it can meet that it does not name."""
    errors = doc.errors
    if doc.permission is not None:
        errors = (*errors, *AUTHENTICATED_REFUSALS)
        if not all(allows(role, doc.permission) for role in Role):
            errors = (*errors, PermissionDenied)
    own = {answer.status for answer in doc.answers}
    extra = [answer for answer in refusals(errors) if answer.status not in own]
    return sorted([*doc.answers, *extra], key=lambda answer: answer.status)


class _Assembler:
    def __init__(self) -> None:
        self.schemas = _Schemas()
        self.components: dict[str, dict[str, Any]] = {
            "parameters": {},
            "headers": {},
            "responses": {},
        }
        self._named: dict[str, Answer] = {}
        self._params: dict[str, Param] = {}

    def parameter(self, param: Param) -> dict[str, Any]:
        """A reference to the parameter, written once per name; written in place when another
        parameter took its name (a cluster's `name` is not an account's)."""
        if self._params.setdefault(param.name, param) != param:
            return self._parameter(param)
        if param.name not in self.components["parameters"]:
            self.components["parameters"][param.name] = self._parameter(param)
        return {"$ref": f"#/components/parameters/{param.name}"}

    def _parameter(self, param: Param) -> dict[str, Any]:
        written: dict[str, Any] = {
            "name": param.name,
            "in": param.location,
            "required": param.required,
            "description": param.description,
            "schema": self.schemas.of(param.type, "validation"),
        }
        if param.example is not None:
            written["example"] = param.example
        return written

    def header(self, header: Header) -> dict[str, str]:
        if header.name not in self.components["headers"]:
            self.components["headers"][header.name] = {
                "description": header.description,
                "required": header.required,
                "schema": self.schemas.of(header.type, "serialization"),
            }
        return {"$ref": f"#/components/headers/{header.name}"}

    def answer(self, answer: Answer) -> dict[str, Any]:
        """The answer, or a reference to it when it is named (written once per name)."""
        if answer.name is None:
            return self._answer(answer)
        name = answer.name
        if self._named.setdefault(name, answer) != answer:
            # Another answer of that status took the name: e.g. a 409 that is only `conflict`.
            name = "-".join([name, *(error.code for error in answer.error)])
            self._named.setdefault(name, answer)
        if name not in self.components["responses"]:
            self.components["responses"][name] = self._answer(answer)
        return {"$ref": f"#/components/responses/{name}"}

    def _answer(self, answer: Answer) -> dict[str, Any]:
        written: dict[str, Any] = {
            "description": answer.description,
            "headers": {h.name: self.header(h) for h in (REQUEST_ID_ANSWERED, *answer.headers)},
        }
        if answer.error:
            written["content"] = {"application/json": {"schema": self._refusal(answer)}}
        elif answer.content:
            written["content"] = {
                media_type: {"schema": self.schemas.of(body, "serialization")}
                for media_type, body in answer.content
            }
        return written

    def _refusal(self, answer: Answer) -> dict[str, Any]:
        codes = sorted({error.code for error in answer.error})
        code = {"const": codes[0]} if len(codes) == 1 else {"enum": codes}
        return {
            "allOf": [self.schemas.of(ErrorBody, "serialization")],
            "properties": {"code": code, "error_code": dict(code)},
        }

    def operation(self, route: Route) -> dict[str, Any]:
        doc = route.doc
        written: dict[str, Any] = {
            "operationId": doc.operation_id,
            "summary": doc.summary,
            "tags": [doc.tag],
        }
        role = _least_role(doc)
        least = f"Least role: `{role.value}`." if role is not None else ""
        description = "\n\n".join(part for part in (doc.description, least) if part)
        if description:
            written["description"] = description
        written["parameters"] = [self.parameter(p) for p in (*doc.params, REQUEST_ID)]
        if doc.body is not None:
            body = self.schemas.of(doc.body, "validation")
            written["requestBody"] = {
                "required": True,
                "description": doc.body_description,
                "content": {media_type: {"schema": body} for media_type in doc.body_media_types},
            }
        written["responses"] = {str(a.status): self.answer(a) for a in _answers(doc)}
        if doc.permission is None:
            written["security"] = []
        return written


def _rename_by_title(document: dict[str, Any]) -> None:
    """Name each schema as its model's title says (`AccountView` is `Account` on the wire)."""
    schemas = document["components"]["schemas"]
    titles = [schema.get("title") for schema in schemas.values()]
    renames = {
        name: schema["title"]
        for name, schema in schemas.items()
        if schema.get("title") not in (None, name)
        and titles.count(schema["title"]) == 1
        and schema["title"] not in schemas
    }
    document["components"]["schemas"] = {renames.get(k, k): v for k, v in schemas.items()}
    _rewrite_refs(document, {SCHEMAS + old: SCHEMAS + new for old, new in renames.items()})


def _rewrite_refs(node: Any, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            node["$ref"] = refs.get(node["$ref"], node["$ref"])
        for value in node.values():
            _rewrite_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, refs)


def build_document(routes: Sequence[Route]) -> dict[str, Any]:
    """The document for `routes` (HEAD, implied by every GET, is not listed)."""
    assembler = _Assembler()
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = assembler.operation(route)
    components: dict[str, Any] = {"securitySchemes": {"bearerAuth": SECURITY_SCHEME}}
    components.update(assembler.components)
    components["schemas"] = assembler.schemas.generate()
    document = {
        "openapi": OPENAPI_VERSION,
        "info": INFO,
        "servers": [{"url": "/", "description": "This service."}],
        "security": [{"bearerAuth": []}],
        "tags": TAGS,
        "paths": paths,
        "components": components,
    }
    _rename_by_title(document)
    return document
