from __future__ import annotations

from uuid import UUID

from litestar import Request, Router, get, post, websocket
from litestar.connection import WebSocket
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody

from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.errors import problem_responses
from video import service
from video.schemas import JoinTicket, Meeting, MeetingCreate, MeetingList

CARE = {"access": Access.CARE}


# Access.PATIENT: the body names the patient, whose clinicians alone may plan (each attempt logged).
@post("/meetings", opt={"access": Access.PATIENT})
async def create_meeting(data: JSONBody[MeetingCreate], conn: DbConnection, caller: SignedIn, state: State) -> Meeting:
    """Plan a consultation or a discharge meeting with a patient you care for; the patient and
    their guardians take part without being named, and a discharge meeting may name clinicians of
    another organisation (a municipality's nurse)."""
    return await service.create_meeting(conn, caller, state.settings, data)


@get("/meetings", opt=CARE)
async def list_meetings(conn: DbConnection, caller: SignedIn, patient_id: FromQuery[UUID | None] = None) -> MeetingList:
    """Your meetings (still open or to come), or a patient's: all of them for those who may see
    the patient, only your own for anyone else."""
    return MeetingList(items=await service.list_meetings(conn, caller, patient_id))


@get("/meetings/{meeting_id:uuid}", opt=CARE)
async def read_meeting(meeting_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> Meeting:
    """One meeting: kind, title, times, participants."""
    return await service.read_meeting(conn, caller, meeting_id)


@post(
    "/meetings/{meeting_id:uuid}/join",
    opt=CARE,
    status_code=200,
    responses=problem_responses({409: "The meeting is over, or it is not yet time to join."}),
)
async def join_meeting(
    meeting_id: FromPath[UUID], conn: DbConnection, caller: SignedIn, state: State, request: Request
) -> JoinTicket:
    """A single-use ticket for the signalling socket, valid for seconds, with the ICE servers."""
    scheme = "wss" if request.url.scheme == "https" else "ws"
    path = request.url.path.removesuffix("/join") + "/signal"
    url = f"{scheme}://{request.url.netloc}{path}"
    return await service.issue_ticket(conn, caller, state.secrets, state.settings, meeting_id, url)


@websocket("/meetings/{meeting_id:uuid}/signal", opt={"access": Access.TICKET})
async def signal(socket: WebSocket, meeting_id: FromPath[UUID], ticket: FromQuery[str | None] = None) -> None:
    """Signalling (docs/api.md, "Video meetings"): JSON text frames, opened with a join ticket."""
    await socket.app.state.video_hub.serve(socket, meeting_id, ticket)


router = Router(
    path="/",
    tags=["video"],
    route_handlers=[create_meeting, list_meetings, read_meeting, join_meeting, signal],
)
