from __future__ import annotations

from litestar import Router, get

from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.programmes import service
from backend.programmes.schemas import ProgrammeList


@get("/programmes", opt={"access": Access.SIGNED_IN})
async def list_programmes(conn: DbConnection, caller: SignedIn) -> ProgrammeList:
    """The catalogue: each programme's parameters, measurement types, forms and default rules."""
    return ProgrammeList(items=await service.list_programmes(conn))


router = Router(path="/", tags=["programmes"], route_handlers=[list_programmes])
