from __future__ import annotations

import asyncpg
from litestar import Router, get

from backend.access.service import Access, Caller
from backend.programmes import service
from backend.programmes.schemas import ProgrammeList


@get("/programmes", opt={"access": Access.SIGNED_IN})
async def list_programmes(conn: asyncpg.Connection, caller: Caller) -> ProgrammeList:
    """The catalogue: each programme's parameters, measurement types, forms and default rules."""
    return ProgrammeList(items=await service.list_programmes(conn))


router = Router(path="/", tags=["programmes"], route_handlers=[list_programmes])
