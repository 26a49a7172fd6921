"""Types the response views share: times on the wire as RFC 3339 with a `+00:00` offset, and
the base of the views that are pydantic models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

# `datetime.isoformat` writes UTC as `+00:00` (pydantic's own JSON writes `Z`), the form the
# contract's examples and existing clients use.
Timestamp = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
# The same, for views built as plain dicts (a serializer call per field cost more than the
# rest of such a view): the text `moment()` writes.
TimestampText = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class ViewPart(BaseModel):
    """A part of a response view: exactly the fields it declares (the OpenAPI document says so)."""

    model_config = ConfigDict(extra="forbid")
