"""Meetings over HTTP: what a clinician plans, what a participant reads, and the join ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from backend.decoding import Instant

MeetingKind = Literal["consultation", "discharge"]
MeetingRole = Literal["host", "participant"]


class ParticipantIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: UUID
    role: MeetingRole = "participant"


class MeetingCreate(msgspec.Struct, forbid_unknown_fields=True):
    patient_id: UUID
    kind: MeetingKind
    title: Annotated[str, Meta(min_length=1, max_length=200)]
    starts_at: Instant
    # Clinicians only: the patient and their guardians are participants without being named, and
    # the clinician who plans the meeting hosts it unless the list names them otherwise.
    participants: Annotated[list[ParticipantIn], Meta(max_length=20)] = []
    # Defaults to starts_at plus the configured length (HEIMA_VIDEO_MEETING_DEFAULT_MINUTES).
    ends_at: Instant | None = None


class Participant(msgspec.Struct):
    user_id: UUID
    display_name: str
    role: MeetingRole
    # "staff" for named clinicians, "patient" or "guardian" for those who take part automatically.
    kind: str


class Meeting(msgspec.Struct):
    id: UUID
    patient_id: UUID
    kind: MeetingKind
    title: str
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    created_by: UUID
    created_at: datetime
    participants: list[Participant]
    # The caller's own part: host, participant, or null for a clinician of the patient who may
    # read the meeting but is not in it.
    my_role: MeetingRole | None


class MeetingList(msgspec.Struct):
    items: list[Meeting]


class IceServer(msgspec.Struct, omit_defaults=True):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class JoinTicket(msgspec.Struct):
    ticket: str
    peer_id: UUID
    # Open this (it carries the ticket) within `expires_at`; the ticket works once.
    signalling_url: str
    ice_servers: list[IceServer]
    expires_at: datetime
    role: MeetingRole
