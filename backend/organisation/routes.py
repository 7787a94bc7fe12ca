from __future__ import annotations

from uuid import UUID

from litestar import Router, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody

from backend.access.service import Access, SignedIn, require_own_unit
from backend.db import DbConnection
from backend.errors import problem_responses
from backend.organisation import service
from backend.organisation.schemas import (
    ColleagueList,
    MyUnitList,
    Organisation,
    OrganisationCreate,
    OrganisationList,
    StaffList,
    StaffUpdate,
    StaffUser,
    Unit,
    UnitCreate,
    UnitList,
    User,
    UserCreate,
)

ADMIN = {"access": Access.ADMIN}


@post("/organisations", opt=ADMIN)
async def create_organisation(data: JSONBody[OrganisationCreate], conn: DbConnection, caller: SignedIn) -> Organisation:
    """A hospital or a municipality: the owner of units."""
    return await service.create_organisation(conn, data, caller.now)


@get("/organisations", opt=ADMIN)
async def list_organisations(conn: DbConnection, caller: SignedIn) -> OrganisationList:
    """Every organisation."""
    return OrganisationList(items=await service.list_organisations(conn))


@post(
    "/organisations/{organisation_id:uuid}/units",
    opt=ADMIN,
    responses=problem_responses({409: "The organisation has a unit of this name already."}),
)
async def create_unit(
    organisation_id: FromPath[UUID], data: JSONBody[UnitCreate], conn: DbConnection, caller: SignedIn
) -> Unit:
    """A ward or a home-care team: clinicians see the patients enrolled in their units."""
    return await service.create_unit(conn, organisation_id, data, caller.now)


@get("/organisations/{organisation_id:uuid}/units", opt=ADMIN)
async def list_units(organisation_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> UnitList:
    """The organisation's units."""
    return UnitList(items=await service.list_units(conn, organisation_id))


@post("/users", opt=ADMIN, responses=problem_responses({409: "The username is taken."}))
async def create_user(data: JSONBody[UserCreate], conn: DbConnection, caller: SignedIn, state: State) -> User:
    """Staff accounts: clinicians (with profession and units) and administrators."""
    return await service.create_user(conn, state.secrets, data, caller.now)


@get("/users", opt=ADMIN)
async def list_staff(conn: DbConnection, caller: SignedIn, unit_id: FromQuery[UUID | None] = None) -> StaffList:
    """Staff accounts (administrators and clinicians), or those of one unit, with their units and
    whether they are disabled."""
    return StaffList(items=await service.list_staff(conn, unit_id))


@patch("/users/{user_id:uuid}", opt=ADMIN)
async def update_staff(
    user_id: FromPath[UUID], data: JSONBody[StaffUpdate], conn: DbConnection, caller: SignedIn
) -> StaffUser:
    """Disable or enable a staff account (`disabled`; a disabled account's tokens stop working at
    once) and set a clinician's units (`unit_ids`, replacing them). Only what is named changes."""
    return await service.update_staff(conn, caller.id, user_id, data, caller.now)


@get("/me/units", opt={"access": Access.SIGNED_IN})
async def my_units(conn: DbConnection, caller: SignedIn) -> MyUnitList:
    """Your units with their names and organisations (a clinician's worklist filter)."""
    return MyUnitList(items=await service.units_of(conn, caller.id))


@get("/colleagues", opt={"access": Access.CLINICIAN})
async def list_colleagues(
    conn: DbConnection, caller: SignedIn, unit_id: FromQuery[UUID | None] = None
) -> ColleagueList:
    """Clinicians you can invite to a meeting, of any organisation (a discharge meeting includes the
    municipality's nurse): name, profession and organisations only. With `unit_id` (one of your
    units), only that unit's clinicians: whom its notification policy's on-call list may name."""
    if unit_id is not None:
        require_own_unit(caller, unit_id)
    return ColleagueList(items=await service.list_colleagues(conn, unit_id))


router = Router(
    path="/",
    tags=["organisation"],
    route_handlers=[
        create_organisation,
        list_organisations,
        create_unit,
        list_units,
        create_user,
        list_staff,
        update_staff,
        my_units,
        list_colleagues,
    ],
)
