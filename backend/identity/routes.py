from __future__ import annotations

from uuid import UUID

from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.identity import service
from backend.identity.schemas import ActivateRequest, DeviceSessionList, LoginRequest, Me, RefreshRequest, TokenPair

PUBLIC = {"access": Access.PUBLIC}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@post("/auth/login", opt=PUBLIC, status_code=HTTP_200_OK, tags=["identity"])
async def login(data: JSONBody[LoginRequest], request: Request, conn: DbConnection, state: State) -> TokenPair:
    """Clinicians and administrators sign in with username and password."""
    return await service.log_in(conn, state.secrets, state.settings, data, _address(request), state.clock())


@post("/auth/activate", opt=PUBLIC, status_code=HTTP_200_OK, tags=["identity"])
async def activate(data: JSONBody[ActivateRequest], request: Request, conn: DbConnection, state: State) -> TokenPair:
    """A patient's or guardian's phone exchanges a one-time activation code for tokens."""
    return await service.activate(conn, state.secrets, state.settings, data, _address(request), state.clock())


@post("/auth/refresh", opt=PUBLIC, status_code=HTTP_200_OK, tags=["identity"])
async def refresh(data: JSONBody[RefreshRequest], conn: DbConnection, state: State) -> TokenPair:
    """A new token pair; the refresh token presented stops working."""
    return await service.refresh(conn, state.secrets, state.settings, data.refresh_token, state.clock())


@post("/auth/logout", opt={"access": Access.SIGNED_IN}, status_code=HTTP_204_NO_CONTENT, tags=["identity"])
async def logout(conn: DbConnection, caller: SignedIn) -> None:
    """Ends this sign-in: its access and refresh tokens stop working at once."""
    await service.log_out(conn, caller)


@get("/me", opt={"access": Access.SIGNED_IN}, tags=["identity"])
async def me(caller: SignedIn) -> Me:
    return service.describe(caller)


@get("/auth/sessions", opt={"access": Access.SIGNED_IN}, tags=["identity"])
async def list_devices(conn: DbConnection, caller: SignedIn) -> DeviceSessionList:
    """The caller's signed-in devices (each login or activation not signed out), the current one marked."""
    return await service.list_devices(conn, caller)


@post(
    "/auth/sessions/{session_id:uuid}/revoke",
    opt={"access": Access.SIGNED_IN},
    status_code=HTTP_204_NO_CONTENT,
    tags=["identity"],
)
async def sign_out_device(session_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> None:
    """Signs one of the caller's devices out (a lost phone): its tokens stop working at once.
    Anyone else's session answers 404, like one that does not exist."""
    await service.sign_out_device(conn, caller, session_id)


router = Router(path="/", route_handlers=[login, activate, refresh, logout, me, list_devices, sign_out_device])
