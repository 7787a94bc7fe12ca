"""Strict request-body decoding.

Litestar converts bodies with `msgspec.convert(..., strict=False)`, which turns `"88"` into 88.0
and `0` into 1970-01-01 (RELIABILITY.md, finding 1). Health data must never be coerced, so every
request body goes through `StrictBody`: the raw bytes are decoded by msgspec in strict mode
straight into the handler's annotated Struct. It is installed once, app-wide, as the data DTO.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from datetime import datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar.dto import AbstractDTO, DTOConfig, DTOFieldDefinition
from litestar.typing import FieldDefinition

from backend.errors import FieldError, ProblemError

T = TypeVar("T")

# RFC 3339 with an offset: a timestamp without one is rejected, never guessed.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]

_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
# msgspec names a missing or unknown field in the message, not in the path: "Object missing
# required field `kind`" has no path at the top level, so without this the client is told "body".
_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<field>[^`]*)`")


def decode_strict(raw: bytes, model: type[T]) -> T:
    try:
        return msgspec.json.decode(raw, type=model, strict=True)
    except msgspec.ValidationError as exc:
        raise ProblemError(422, "The request content is not valid.", errors=[field_error(str(exc))]) from None
    # msgspec raises UnicodeDecodeError (not DecodeError) for invalid UTF-8 inside a string, and
    # RecursionError for valid JSON nested deeper than it recurses (30 000 brackets fit in 64 KiB);
    # both reached the generic handler as a 500.
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise ProblemError(400, "The request body is not valid JSON.") from None
    except RecursionError:
        raise ProblemError(400, "The request body is nested too deeply.") from None


def field_error(message: str) -> FieldError:
    """Turn msgspec's "Expected `int`, got `str` - at `$.items[0].value`" into field + reason."""
    match = _PATH.search(message)
    path = match.group("path").lstrip(".") if match else ""
    reason = message[: match.start()] if match else message
    if named := _NAMED_FIELD.match(reason):
        path = f"{path}.{named['field']}" if path else named["field"]
    return FieldError(path or "body", reason)


class StrictBody(AbstractDTO[T]):
    """A data DTO that only decodes: `msgspec` strict mode into the handler's `data` annotation."""

    config = DTOConfig()

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False

    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        # Nothing to build: decoding uses the annotation directly.
        return None

    @classmethod
    def create_openapi_schema(cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any) -> Any:
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(field_definition.annotation))

    def decode_bytes(self, value: bytes) -> Any:
        annotation = self.asgi_connection.route_handler.parsed_data_field.annotation
        return decode_strict(value, annotation)

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        annotation = self.asgi_connection.route_handler.parsed_data_field.annotation
        try:
            return msgspec.convert(value, type=annotation, strict=True)
        except msgspec.ValidationError as exc:
            raise ProblemError(422, "The request content is not valid.", errors=[field_error(str(exc))]) from None


def parse_instant(field: str, raw: str | None) -> datetime | None:
    """A query-string timestamp, strictly: RFC 3339 with an offset (no Unix times, no naive)."""
    if raw is None:
        return None
    try:
        return msgspec.convert(raw, AwareDatetime, strict=True)
    except msgspec.ValidationError:
        raise ProblemError(
            422,
            "The request parameters are not valid.",
            errors=[FieldError(field, "must be an RFC 3339 timestamp with an offset")],
        ) from None
