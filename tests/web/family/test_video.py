"""Video: the pre-call echo test sends the phone's own (fake) camera back through Heima's echo peer,
and a family member waits in the waiting room until the clinician's page admits them into the call
(both pages in this browser, signalling through Heima)."""

from __future__ import annotations

from tests.helpers import API, expect

ECHO_PLAYING = """() => {
    const video = document.querySelector("[data-testid=echo-remote]");
    return video && video.videoWidth > 0 && video.currentTime > 0;
}"""


async def test_the_echo_test_shows_the_camera_coming_back(signed_in):
    page = signed_in
    await page.get_by_role("link", name="Video").click()
    await page.get_by_role("button", name="Start test").click()
    await page.get_by_text("Ser og hører du deg selv?").wait_for()
    await page.wait_for_function(ECHO_PLAYING)
    await page.get_by_role("button", name="Stopp test").click()


# The clinician's side, run in a page of its own: join as host, admit whoever waits, answer offers.
HOST = """async ({meetingId, token}) => {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    const join = await fetch(`/api/v1/meetings/${meetingId}/join`, {
        method: "POST", headers: {Authorization: `Bearer ${token}`}});
    const ticket = await join.json();
    const socket = new WebSocket(ticket.signalling_url);
    const peers = new Map();
    window.hostState = {remoteTracks: 0, admitted: []};
    const send = (frame) => socket.send(JSON.stringify(frame));
    socket.onmessage = async (event) => {
        const frame = JSON.parse(event.data);
        if (frame.type === "waiting") {
            window.hostState.admitted.push(frame.peer.display_name);
            send({type: "admit", peer_id: frame.peer.peer_id});
        } else if (frame.type === "offer") {
            const pc = new RTCPeerConnection();
            peers.set(frame.from, pc);
            stream.getTracks().forEach((track) => pc.addTrack(track, stream));
            pc.ontrack = () => { window.hostState.remoteTracks += 1; };
            pc.onicecandidate = (e) =>
                e.candidate && send({type: "ice", to: frame.from, candidate: e.candidate.toJSON()});
            await pc.setRemoteDescription({type: "offer", sdp: frame.sdp});
            await pc.setLocalDescription(await pc.createAnswer());
            send({type: "answer", to: frame.from, sdp: pc.localDescription.sdp});
        } else if (frame.type === "ice") {
            await peers.get(frame.from)?.addIceCandidate(frame.candidate);
        }
    };
    await new Promise((resolve) => { socket.onopen = resolve; });
}"""

REMOTE_PLAYING = """() => [...document.querySelectorAll("figure video")].some((v) => v.videoWidth > 0)"""


async def test_the_family_waits_is_admitted_and_meets_the_clinician(signed_in, context, family, client, session_clock):
    page = signed_in
    meeting = await expect(
        await client.post(
            f"{API}/meetings",
            json={
                "patient_id": family.twin_a,
                "kind": "consultation",
                "title": "Oppfølging hjemme",
                "starts_at": session_clock.now.isoformat(),
            },
            headers=family.clinician.headers,
        ),
        201,
    )
    await page.get_by_role("link", name="Video").click()
    await (
        page.get_by_role("listitem").filter(has_text="Oppfølging hjemme").get_by_role("button", name="Bli med").click()
    )
    await page.locator("[data-phase=waiting]").wait_for()
    await page.get_by_text("Venterommet").wait_for()

    clinician_page = await context.new_page()
    await clinician_page.goto("/care/")
    await clinician_page.evaluate(HOST, {"meetingId": meeting["id"], "token": family.clinician.token})
    await page.locator("[data-phase=joined]").wait_for()
    await page.wait_for_function(REMOTE_PLAYING)
    await clinician_page.wait_for_function("() => window.hostState.remoteTracks > 0")

    await page.get_by_role("button", name="Slå av mikrofon").click()
    await page.get_by_role("button", name="Slå på mikrofon").wait_for()
    await page.get_by_role("button", name="Legg på").click()
    await page.get_by_role("heading", name="Videomøter").wait_for()
