from __future__ import annotations

from uuid import UUID

from litestar import Request, Router, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.errors import problem_responses
from backend.identity import service
from backend.identity.schemas import (
    ActivateRequest,
    DeviceCode,
    LinkRequest,
    LoginRequest,
    Me,
    RefreshRequest,
    SessionList,
    TokenPair,
)

PUBLIC = {"access": Access.PUBLIC}
ANY_SIGNED_IN = {"access": Access.SIGNED_IN}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# Sign-in throttling (identity/service.py): never a permanent lock.
THROTTLED = {429: "Too many failed attempts from this account or address: try again after `Retry-After` seconds."}


# Sign-in and activation take no request connection: they use the pool in short steps of their
# own, so that nothing is held while a password is hashed (backend/identity/service.py).
@post("/auth/login", opt=PUBLIC, status_code=HTTP_200_OK, tags=["identity"], responses=problem_responses(THROTTLED))
async def login(data: JSONBody[LoginRequest], request: Request, state: State) -> TokenPair:
    """Clinicians and administrators sign in with username and password. 429 with `Retry-After`
    after too many failures; 503 with `Retry-After` when too many sign-ins wait to be checked."""
    return await service.log_in(state.db_pool, state.secrets, state.settings, data, _address(request), state.clock())


@post("/auth/activate", opt=PUBLIC, status_code=HTTP_200_OK, tags=["identity"], responses=problem_responses(THROTTLED))
async def activate(data: JSONBody[ActivateRequest], request: Request, state: State) -> TokenPair:
    """A new phone exchanges a one-time code for tokens: a clinician's activation code makes a new
    patient or guardian account; a device code (`POST /me/device-codes` on a signed-in phone) adds
    the phone to that existing account. A code naming an existing guardian answers 409: it is
    entered in that guardian's signed-in app (`POST /me/guardianships`)."""
    return await service.activate(state.db_pool, state.secrets, state.settings, data, _address(request), state.clock())


@post("/auth/refresh", opt=PUBLIC, status_code=HTTP_200_OK, tags=["identity"])
async def refresh(data: JSONBody[RefreshRequest], conn: DbConnection, state: State) -> TokenPair:
    """A new token pair; the refresh token presented stops working."""
    return await service.refresh(conn, state.secrets, state.settings, data.refresh_token, state.clock())


@post("/auth/logout", opt={"access": Access.SIGNED_IN}, status_code=HTTP_204_NO_CONTENT, tags=["identity"])
async def logout(conn: DbConnection, caller: SignedIn) -> None:
    """Ends this sign-in: its access and refresh tokens stop working at once."""
    await service.log_out(conn, caller)


@get("/me", opt=ANY_SIGNED_IN, tags=["identity"], operation_id="readMe")
async def me(caller: SignedIn) -> Me:
    """Who this token signs in: id, role, name, and a clinician's units."""
    return service.describe(caller)


@post("/me/device-codes", opt=ANY_SIGNED_IN, status_code=HTTP_201_CREATED, tags=["identity"])
async def create_device_code(conn: DbConnection, caller: SignedIn, state: State) -> DeviceCode:
    """Patients and guardians: a single-use code, valid for minutes, that signs a new phone into
    this same account at `POST /auth/activate`. Staff get 403."""
    return await service.create_device_code(conn, state.secrets, state.settings, caller)


@post("/me/guardianships", opt=ANY_SIGNED_IN, status_code=HTTP_200_OK, tags=["identity"])
async def link_child(
    data: JSONBody[LinkRequest], request: Request, conn: DbConnection, caller: SignedIn, state: State
) -> Me:
    """Guardians: redeem a guardian code for another child (one naming you, or naming nobody) to
    see that child too; answers the updated profile. A wrong code is 422 on `code` and counts
    towards throttling (429 with `Retry-After`); others than guardians get 403."""
    return await service.link_child(conn, state.secrets, state.settings, caller, data.code, _address(request))


@get("/me/sessions", opt=ANY_SIGNED_IN, tags=["identity"])
async def list_sessions(conn: DbConnection, caller: SignedIn) -> SessionList:
    """The devices signed in to your account, newest first: how each began and who issued its code."""
    return await service.list_own_sessions(conn, caller)


@delete("/me/sessions/{session_id:uuid}", opt=ANY_SIGNED_IN, status_code=HTTP_204_NO_CONTENT, tags=["identity"])
async def end_session(session_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> None:
    """End one of your sessions (say a phone you gave away): its tokens stop working at once."""
    await service.end_own_session(conn, caller, session_id)


router = Router(
    path="/",
    route_handlers=[
        login,
        activate,
        refresh,
        logout,
        me,
        create_device_code,
        link_child,
        list_sessions,
        end_session,
    ],
)
