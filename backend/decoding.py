"""Strict request-body decoding.

Litestar converts bodies with `msgspec.convert(..., strict=False)`, which turns `"88"` into 88.0
and `0` into 1970-01-01 (docs/reliability.md, F1). Health data must never be coerced, so every
request body goes through `StrictBody`: the raw bytes are decoded by msgspec in strict mode
straight into the handler's annotated Struct. It is installed once, app-wide, as the data DTO.
"""

from __future__ import annotations

import math
import re
from collections.abc import Generator
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec
from litestar.dto import AbstractDTO, DTOConfig, DTOFieldDefinition
from litestar.typing import FieldDefinition

from backend.errors import FieldError, ProblemError

T = TypeVar("T")

# The one instant type of request bodies and parameters: RFC 3339 with an offset (a timestamp
# without one is refused, never guessed), between INSTANT_MIN and INSTANT_MAX. The bounds are checked
# after decoding (`unsafe_values`): "0001-01-01T00:00:00+01:00" decodes, but lies before year 1 in
# UTC, and converting it (Python, asyncpg) raised OverflowError, a 500 (issue 11, finding 6).
Instant = Annotated[datetime, msgspec.Meta(tz=True)]
INSTANT_MIN = datetime(1900, 1, 1, tzinfo=UTC)
INSTANT_MAX = datetime(2200, 1, 1, tzinfo=UTC)
INSTANT_RANGE = "must be between 1900-01-01 and 2200-01-01 (UTC)"
NUL_FOUND = "must not contain the NUL character (U+0000)"
# An integer beyond 64 bits is nothing a client means, and 10^400 does not even convert to a float.
MAX_INTEGER = 2**63 - 1

_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
# msgspec names a missing or unknown field in the message, not in the path: "Object missing
# required field `kind`" has no path at the top level, so without this the client is told "body".
_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<field>[^`]*)`")


def decode_strict(raw: bytes, model: type[T]) -> T:
    try:
        value = msgspec.json.decode(raw, type=model, strict=True)
    except msgspec.ValidationError as exc:
        raise ProblemError(422, "The request content is not valid.", errors=[field_error(str(exc))]) from None
    # msgspec raises UnicodeDecodeError (not DecodeError) for invalid UTF-8 inside a string, and
    # RecursionError for valid JSON nested deeper than it recurses (30 000 brackets fit in 64 KiB);
    # both reached the generic handler as a 500.
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise ProblemError(400, "The request body is not valid JSON.") from None
    except RecursionError:
        raise ProblemError(400, "The request body is nested too deeply.") from None
    if errors := unsafe_values(value):
        raise ProblemError(422, "The request content is not valid.", errors=errors)
    return value


def decode_item(raw: bytes, model: type[T]) -> T | list[FieldError]:
    """One item of a batch, strictly: the item, or why it is refused (never an exception, so that
    one bad item never blocks the others)."""
    try:
        value = msgspec.json.decode(raw, type=model, strict=True)
    except msgspec.ValidationError as exc:
        return [field_error(str(exc))]
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # e.g. a number beyond a double's range
        return [FieldError("body", "not valid JSON")]
    return unsafe_values(value) or value


def unsafe_values(value: Any, path: str = "") -> list[FieldError]:
    """What strict decoding lets through but nothing downstream can hold, each named by its field:
    U+0000 in any string or key (PostgreSQL text and jsonb refuse it: a 500, and a phone's queue
    stuck behind one note, issue 11 finding 3), an instant outside INSTANT_MIN..INSTANT_MAX, an
    integer beyond 64 bits, a number that is not finite."""
    if _sound(value):
        return []  # the common case, without building a single path
    errors: list[FieldError] = []
    _walk(value, path, errors)
    return errors


def _sound(value: Any) -> bool:
    """`_walk` finding nothing, fast (an upload checks a thousand items): exact types first, in
    the order they are most common; subclasses and anything else go to the full walk."""
    kind = type(value)
    if kind is str:
        return "\x00" not in value
    if value is None or kind is bool or kind is UUID or kind is date or kind is msgspec.Raw:
        return True  # a Raw batch item is decoded, and checked, on its own (decode_item)
    if kind is float:
        return math.isfinite(value)
    if kind is datetime:
        # Any offset keeps a year strictly inside the bounds in range; only the edges need the
        # (slower) comparison of instants.
        return 1900 < value.year < 2199 or INSTANT_MIN <= value < INSTANT_MAX
    if kind is int:
        return -MAX_INTEGER <= value <= MAX_INTEGER
    if kind is dict:
        return all(_sound(key) and _sound(item) for key, item in value.items())
    if kind is list or kind is tuple:
        return all(_sound(item) for item in value)
    if isinstance(value, msgspec.Struct):
        return all(_sound(getattr(value, name)) for name in value.__struct_fields__)
    return False


def _walk(value: Any, path: str, errors: list[FieldError]) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            errors.append(FieldError(path or "body", NUL_FOUND))
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            _walk(getattr(value, name), f"{path}.{name}" if path else name, errors)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", errors)
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                errors.append(FieldError(where.replace("\x00", "\\u0000"), NUL_FOUND))
                continue
            _walk(item, where, errors)
    elif isinstance(value, datetime):
        if not INSTANT_MIN <= value < INSTANT_MAX:
            errors.append(FieldError(path or "body", INSTANT_RANGE))
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INTEGER:
            errors.append(FieldError(path or "body", "is too large"))
    elif isinstance(value, float) and not math.isfinite(value):
        errors.append(FieldError(path or "body", "must be a finite number"))


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
            decoded = msgspec.convert(value, type=annotation, strict=True)
        except msgspec.ValidationError as exc:
            raise ProblemError(422, "The request content is not valid.", errors=[field_error(str(exc))]) from None
        if errors := unsafe_values(decoded):
            raise ProblemError(422, "The request content is not valid.", errors=errors)
        return decoded


def parse_instant(field: str, raw: str | None) -> datetime | None:
    """A query-string timestamp, strictly: RFC 3339 with an offset (no Unix times, no naive),
    within the instant bounds."""
    if raw is None:
        return None
    try:
        instant = msgspec.convert(raw, Instant, strict=True)
    except msgspec.ValidationError:
        instant = None
    reason = "must be an RFC 3339 timestamp with an offset" if instant is None else instant_problem(instant)
    if reason:
        raise ProblemError(422, "The request parameters are not valid.", errors=[FieldError(field, reason)])
    return instant


def instant_problem(instant: datetime) -> str | None:
    """Why an (aware) instant cannot be used, or None."""
    return None if INSTANT_MIN <= instant < INSTANT_MAX else INSTANT_RANGE
