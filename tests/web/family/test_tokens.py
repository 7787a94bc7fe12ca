"""Tokens kept on the phone are rotated when the access token expires, and a refresh whose answer
was lost is retried with the same refresh token (the server's 30 s replay grace): the parent is
never signed out for a dropped answer."""

from __future__ import annotations

import uuid

from tests.web.family.support import all_sent, register_feed


async def test_an_expired_token_is_rotated_and_a_lost_refresh_answer_retried(signed_in, context, clock, family, db):
    page = signed_in
    refreshes: list[int] = []

    async def lose_the_first_answer(route) -> None:
        response = await route.fetch()  # the server rotates the pair either way
        refreshes.append(response.status)
        if len(refreshes) == 1:
            await route.abort("connectionreset")
        else:
            await route.fulfill(response=response)

    await page.route("**/api/v1/auth/refresh", lose_the_first_answer)
    # Past the access token's 15 minutes, on the server and on the phone alike.
    clock.advance(minutes=16)
    await context.clock.set_fixed_time(clock.now)
    await register_feed(page, "40")
    await all_sent(page)

    assert refreshes == [200, 200]
    count = await db.fetchval(
        "select count(*) from measurements where patient_id = $1 and type = 'feeding_volume'", uuid.UUID(family.twin_a)
    )
    assert count == 1
    # Still signed in after a reload, with the rotated pair.
    await page.reload()
    await page.get_by_test_id("for-whom").wait_for()
