from __future__ import annotations

from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.errors import problem_responses
from backend.identity import service
from backend.identity.schemas import ActivateRequest, LoginRequest, Me, RefreshRequest, TokenPair

PUBLIC = {"access": Access.PUBLIC}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# Sign-in throttling (identity/service.py): never a permanent lock.
THROTTLED = {429: "Too many failed attempts from this account or address: try again after `Retry-After` seconds."}


@post("/auth/login", opt=PUBLIC, status_code=HTTP_200_OK, tags=["identity"], responses=problem_responses(THROTTLED))
async def login(data: JSONBody[LoginRequest], request: Request, conn: DbConnection, state: State) -> TokenPair:
    """Clinicians and administrators sign in with username and password."""
    return await service.log_in(conn, state.secrets, state.settings, data, _address(request), state.clock())


@post("/auth/activate", opt=PUBLIC, status_code=HTTP_200_OK, tags=["identity"], responses=problem_responses(THROTTLED))
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


@get("/me", opt={"access": Access.SIGNED_IN}, tags=["identity"], operation_id="readMe")
async def me(caller: SignedIn) -> Me:
    """Who this token signs in: id, role, name, and a clinician's units."""
    return service.describe(caller)


router = Router(path="/", route_handlers=[login, activate, refresh, logout, me])
