"""The notification API's bodies and answers (routes.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from alerting.notify.policy import Policy
from alerting.schemas import LocalText

Reason = Annotated[str, Meta(min_length=1, max_length=1000)]
ContactWithinHours = Annotated[int, Meta(ge=1, le=168)]


class NotificationPolicyIn(Policy, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A unit's whole policy (what is left out takes the default), its promise to families, and why
    it is set."""

    reason: Reason
    # The unit's promise to a family who asks to be contacted: within this many hours (while
    # staffed). The same value as the unit's `contact_within_hours`.
    contact_within_hours: ContactWithinHours | None = None

    def policy(self) -> Policy:
        fields = msgspec.structs.asdict(self)
        del fields["reason"], fields["contact_within_hours"]
        return Policy(**fields)


class NotificationPolicyOut(msgspec.Struct):
    unit_id: UUID
    policy: Policy
    contact_within_hours: int | None
    # `unit`: set by the unit (who, when, why below); `default`: the built-in default.
    source: Literal["unit", "default"]
    set_by: UUID | None
    set_by_name: str | None
    set_at: datetime | None
    reason: str | None
    # Whether the unit is staffed now, and what families read about when it answers.
    staffed_now: bool
    promise: LocalText | None


class NotificationPolicyChange(msgspec.Struct):
    policy: Policy
    contact_within_hours: int | None
    reason: str
    set_by: UUID
    set_by_name: str
    set_at: datetime
    superseded_at: datetime | None


class NotificationPolicyHistory(msgspec.Struct):
    items: list[NotificationPolicyChange]


class FamilyNotificationSettings(msgspec.Struct):
    """Which pushes a patient's or guardian's phones get: `seen` (the care team acknowledged one
    of the patient's alerts), `handled` (it handled a contact request), `reminder` (a
    registration the programme expects is due) and `meeting` (a meeting starts soon)."""

    seen: bool
    handled: bool
    reminder: bool
    meeting: bool


class FamilyNotificationSettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    seen: bool | None = None
    handled: bool | None = None
    reminder: bool | None = None
    meeting: bool | None = None
