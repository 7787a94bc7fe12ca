// Video: the family's upcoming meetings, the pre-call echo test (Heima sends the phone's own camera
// and microphone back), and the call itself through Heima's signalling: the waiting room until a
// host admits the family, then a full mesh with everyone in the room. Mute, camera off, hang up;
// a dropped socket is rejoined (the server keeps the place for a few seconds).

import { useEffect, useRef, useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { describeProblem } from "../shared/api";
import { useApp } from "./app";
import { api } from "./state";
import { formatDateTime } from "./time";

type Meeting = Schemas["Meeting"];

export function VideoScreen() {
  const { t, locale, selected } = useApp();
  const [meetings, setMeetings] = useState<Meeting[] | null>(null);
  const [inCall, setInCall] = useState<Meeting | null>(null);
  useEffect(() => {
    let live = true;
    void Promise.all(
      selected.map(async (patient) => {
        const { data } = await api.GET("/api/v1/meetings", { params: { query: { patient_id: patient.id } } });
        return data?.items ?? [];
      }),
    )
      .then((lists) => {
        const upcoming = lists
          .flat()
          .filter((m) => !m.ended_at && new Date(m.ends_at).getTime() > Date.now());
        if (live) setMeetings(upcoming.sort((a, b) => a.starts_at.localeCompare(b.starts_at)));
      })
      .catch(() => live && setMeetings([]));
    return () => {
      live = false;
    };
  }, [selected]);

  if (inCall) return <Call meeting={inCall} onLeave={() => setInCall(null)} />;
  return (
    <>
      <h1>{t("videoTitle")}</h1>
      {meetings === null ? (
        <p role="status">{t("loading")}</p>
      ) : meetings.length === 0 ? (
        <p class="muted">{t("noMeetings")}</p>
      ) : (
        <ul class="plain">
          {meetings.map((meeting) => (
            <li key={meeting.id} class="card row spread">
              <span>
                <strong>{meeting.title}</strong>
                <br />
                <span class="small-text">
                  {meeting.kind === "discharge" ? t("discharge") : t("consultation")} ·{" "}
                  {formatDateTime(meeting.starts_at, locale)}
                </span>
              </span>
              <button type="button" onClick={() => setInCall(meeting)}>
                {t("join")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <EchoTest />
    </>
  );
}

function waitForIce(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", done);
  });
}

function EchoTest() {
  const { t } = useApp();
  const [state, setState] = useState<"idle" | "running" | "failed">("idle");
  const [reason, setReason] = useState("");
  const local = useRef<HTMLVideoElement>(null);
  const remote = useRef<HTMLVideoElement>(null);
  const running = useRef<{ pc: RTCPeerConnection; stream: MediaStream } | null>(null);

  const stop = () => {
    running.current?.pc.close();
    for (const track of running.current?.stream.getTracks() ?? []) track.stop();
    running.current = null;
    setState("idle");
  };
  useEffect(() => stop, []);

  const start = async () => {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
      const pc = new RTCPeerConnection();
      running.current = { pc, stream };
      if (local.current) local.current.srcObject = stream;
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      pc.ontrack = (event) => {
        if (remote.current) remote.current.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      };
      await pc.setLocalDescription(await pc.createOffer());
      await waitForIce(pc);
      const { data, error } = await api.POST("/api/v1/video/echo", {
        body: { type: "offer", sdp: pc.localDescription?.sdp ?? "" },
      });
      if (!data) throw new Error(describeProblem(error));
      await pc.setRemoteDescription({ type: "answer", sdp: data.sdp });
      setState("running");
    } catch (error) {
      stop();
      setReason(error instanceof Error ? error.message : String(error));
      setState("failed");
    }
  };

  return (
    <section class="card" aria-labelledby="echo-title">
      <h2 id="echo-title">{t("echoTitle")}</h2>
      <div class="videos">
        <video ref={local} autoplay muted playsInline aria-label={t("you")} />
        {/* biome-ignore lint/a11y/useMediaCaption: a live echo of the user's own camera has no captions to give */}
        <video ref={remote} autoplay playsInline aria-label={t("echoTitle")} data-testid="echo-remote" />
      </div>
      {state === "running" && <p class="notice ok">{t("echoRunning")}</p>}
      {state === "failed" && <p class="notice warn">{t("echoFailed", { reason })}</p>}
      {state === "running" ? (
        <button type="button" class="secondary" onClick={stop}>
          {t("echoStop")}
        </button>
      ) : (
        <button type="button" onClick={() => void start()}>
          {t("echoStart")}
        </button>
      )}
    </section>
  );
}

interface PeerInfo {
  peer_id: string;
  display_name: string;
  role: string;
}

type Frame = { type: string; [key: string]: unknown };

function Call({ meeting, onLeave }: { meeting: Meeting; onLeave: () => void }) {
  const { t } = useApp();
  const [phase, setPhase] = useState<
    "connecting" | "waiting" | "joined" | "reconnecting" | "ended" | "failed"
  >("connecting");
  const [problem, setProblem] = useState("");
  const [remotes, setRemotes] = useState<{ peer: PeerInfo; stream: MediaStream }[]>([]);
  const [muted, setMuted] = useState(false);
  const [cameraOff, setCameraOff] = useState(false);
  const self = useRef<HTMLVideoElement>(null);
  const call = useRef<{
    stream?: MediaStream;
    socket?: WebSocket;
    peers: Map<string, RTCPeerConnection>;
    names: Map<string, PeerInfo>;
    ice: RTCIceServer[];
    leaving: boolean;
    attempts: number;
  }>({ peers: new Map(), names: new Map(), ice: [], leaving: false, attempts: 0 });

  useEffect(() => {
    const state = call.current;
    const send = (frame: Frame) => state.socket?.send(JSON.stringify(frame));
    const closePeer = (peerId: string) => {
      state.peers.get(peerId)?.close();
      state.peers.delete(peerId);
      setRemotes((old) => old.filter((r) => r.peer.peer_id !== peerId));
    };
    const peerFor = (peerId: string): RTCPeerConnection => {
      const existing = state.peers.get(peerId);
      if (existing) return existing;
      const pc = new RTCPeerConnection({ iceServers: state.ice });
      for (const track of state.stream?.getTracks() ?? []) pc.addTrack(track, state.stream as MediaStream);
      pc.onicecandidate = (event) => {
        if (event.candidate) send({ type: "ice", to: peerId, candidate: event.candidate.toJSON() });
      };
      pc.ontrack = (event) => {
        const stream = event.streams[0] ?? new MediaStream([event.track]);
        const peer = state.names.get(peerId) ?? { peer_id: peerId, display_name: "", role: "" };
        setRemotes((old) => [...old.filter((r) => r.peer.peer_id !== peerId), { peer, stream }]);
      };
      state.peers.set(peerId, pc);
      return pc;
    };
    const offerTo = async (peers: PeerInfo[]) => {
      for (const peer of peers) {
        state.names.set(peer.peer_id, peer);
        const pc = peerFor(peer.peer_id);
        await pc.setLocalDescription(await pc.createOffer());
        send({ type: "offer", to: peer.peer_id, sdp: pc.localDescription?.sdp });
      }
    };
    const onFrame = async (frame: Frame) => {
      switch (frame.type) {
        case "welcome": {
          state.attempts = 0;
          const peers = (frame.peers as PeerInfo[]) ?? [];
          if (frame.state === "joined") {
            setPhase("joined");
            await offerTo(peers);
          } else setPhase("waiting");
          break;
        }
        case "admitted":
          setPhase("joined");
          await offerTo((frame.peers as PeerInfo[]) ?? []);
          break;
        case "peer-joined": {
          const peer = frame.peer as PeerInfo;
          state.names.set(peer.peer_id, peer);
          break;
        }
        case "offer": {
          const pc = peerFor(String(frame.from));
          await pc.setRemoteDescription({ type: "offer", sdp: String(frame.sdp) });
          await pc.setLocalDescription(await pc.createAnswer());
          send({ type: "answer", to: frame.from, sdp: pc.localDescription?.sdp });
          break;
        }
        case "answer":
          await state.peers
            .get(String(frame.from))
            ?.setRemoteDescription({ type: "answer", sdp: String(frame.sdp) });
          break;
        case "ice":
          await state.peers.get(String(frame.from))?.addIceCandidate(frame.candidate as RTCIceCandidateInit);
          break;
        case "peer-left":
          closePeer(String(frame.peer_id));
          break;
        case "ended":
          state.leaving = true;
          setPhase("ended");
          break;
        case "error":
          setProblem(`${frame.title ?? ""} ${frame.detail ?? ""}`.trim());
          break;
      }
    };
    const connect = async () => {
      const { data, error } = await api.POST("/api/v1/meetings/{meeting_id}/join", {
        params: { path: { meeting_id: meeting.id } },
      });
      if (!data) {
        setProblem(describeProblem(error));
        setPhase("failed");
        return;
      }
      state.ice = data.ice_servers.map((s) => ({
        urls: s.urls,
        username: s.username ?? undefined,
        credential: s.credential ?? undefined,
      }));
      // Heima names the socket's full URL; a path alone is taken on this page's host.
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const url = /^wss?:\/\//.test(data.signalling_url)
        ? data.signalling_url
        : `${scheme}://${location.host}${data.signalling_url}`;
      const socket = new WebSocket(url);
      state.socket = socket;
      socket.onmessage = (event) => void onFrame(JSON.parse(String(event.data)) as Frame);
      socket.onclose = (event) => {
        if (state.leaving || state.socket !== socket) return;
        // 4403 removed, 4409 full or ended: not coming back. Anything else is a blip: rejoin.
        if (event.code === 4403 || event.code === 4409 || state.attempts >= 5) {
          setPhase("ended");
          return;
        }
        state.attempts += 1;
        setPhase("reconnecting");
        for (const peerId of [...state.peers.keys()]) closePeer(peerId);
        setTimeout(() => void connect().catch(() => setPhase("failed")), 1000 * state.attempts);
      };
    };
    void (async () => {
      try {
        state.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        if (self.current) self.current.srcObject = state.stream;
        await connect();
      } catch (error) {
        setProblem(error instanceof Error ? error.message : String(error));
        setPhase("failed");
      }
    })();
    return () => {
      state.leaving = true;
      send({ type: "leave" });
      state.socket?.close();
      for (const pc of state.peers.values()) pc.close();
      for (const track of state.stream?.getTracks() ?? []) track.stop();
    };
  }, [meeting.id]);

  const toggle = (kind: "audio" | "video", off: boolean) => {
    for (const track of call.current.stream?.getTracks() ?? []) if (track.kind === kind) track.enabled = !off;
  };

  return (
    <section aria-labelledby="call-title">
      <h1 id="call-title">{meeting.title}</h1>
      <p role="status" data-testid="call-phase" data-phase={phase}>
        {phase === "waiting" && t("waitingRoom")}
        {phase === "joined" && t("inCall")}
        {phase === "reconnecting" && t("reconnecting")}
        {phase === "ended" && t("callEnded")}
        {phase === "connecting" && t("loading")}
      </p>
      {problem && <p class="notice warn">{problem}</p>}
      <div class="videos">
        <video ref={self} autoplay muted playsInline aria-label={t("you")} />
        {remotes.map((remote) => (
          <RemoteVideo key={remote.peer.peer_id} stream={remote.stream} name={remote.peer.display_name} />
        ))}
      </div>
      <div class="row actions">
        <button
          type="button"
          class="secondary"
          aria-pressed={muted}
          onClick={() => {
            toggle("audio", !muted);
            setMuted(!muted);
          }}
        >
          {muted ? t("unmute") : t("mute")}
        </button>
        <button
          type="button"
          class="secondary"
          aria-pressed={cameraOff}
          onClick={() => {
            toggle("video", !cameraOff);
            setCameraOff(!cameraOff);
          }}
        >
          {cameraOff ? t("cameraOn") : t("cameraOff")}
        </button>
        <button type="button" class="danger" onClick={onLeave}>
          {t("hangUp")}
        </button>
      </div>
    </section>
  );
}

function RemoteVideo({ stream, name }: { stream: MediaStream; name: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.srcObject = stream;
  }, [stream]);
  return (
    <figure>
      {/* biome-ignore lint/a11y/useMediaCaption: live video of a call has no captions to give */}
      <video ref={ref} autoplay playsInline aria-label={name} />
      <figcaption>{name}</figcaption>
    </figure>
  );
}
