// Video meetings: plan a consultation or a discharge meeting (with a municipality's nurse), today's
// list, the pre-call echo test, and the room: a full mesh of up to six browsers through Heima's
// signalling, hosts admitting people from the waiting room, removing them and ending for all.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { FormPanel, SelectField, TextField } from "./fields";
import { api, formatTime, type Me, navigate, ok, onLink, useLoad, useT } from "./state";

type Meeting = Schemas["Meeting"];
type PeerInfo = { peer_id: string; display_name: string; role: string };

export function MeetingsPage() {
  const { t, lang } = useT();
  const meetings = useLoad(async () => ok(await api.GET("/api/v1/meetings")).items, []);
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Oslo" }).format(new Date());
  const day = (iso: string) =>
    new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Oslo" }).format(new Date(iso));
  const list = (meetings.data ?? []).filter((m) => !m.ended_at);
  const todays = list.filter((m) => day(m.starts_at) === today);
  const later = list.filter((m) => day(m.starts_at) > today);
  const row = (m: Meeting) => (
    <li key={m.id} class="card">
      <strong>{m.title}</strong> · {m.kind === "discharge" ? t("discharge") : t("consultation")} ·{" "}
      {formatTime(m.starts_at, lang)}
      <div class="meta">{m.participants.map((p) => p.display_name).join(", ")}</div>
      <a class="button" href={`/care/meetings/${m.id}`} onClick={onLink}>
        {m.my_role === "host" ? `${t("join")} (${t("host")})` : t("join")}
      </a>
    </li>
  );
  return (
    <section aria-labelledby="meetings-title">
      <h1 id="meetings-title">{t("meetingsTitle")}</h1>
      <EchoTest />
      <h2>{t("today")}</h2>
      <ul class="plain">{todays.length ? todays.map(row) : <li>{t("none")}</li>}</ul>
      <h2>{t("upcoming")}</h2>
      <ul class="plain">{later.length ? later.map(row) : <li>{t("none")}</li>}</ul>
      <PlanMeeting onPlanned={meetings.reload} />
    </section>
  );
}

function PlanMeeting({ onPlanned }: { onPlanned: () => void }) {
  const { t } = useT();
  const patients = useLoad(async () => ok(await api.GET("/api/v1/patients")).items, []);
  const colleagues = useLoad(async () => ok(await api.GET("/api/v1/colleagues")).items, []);
  const [patient, setPatient] = useState("");
  const [kind, setKind] = useState<"consultation" | "discharge">("consultation");
  const [title, setTitle] = useState("");
  const [starts, setStarts] = useState("");
  const [invited, setInvited] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const plan = async () => {
    setError(null);
    try {
      const meeting = ok(
        await api.POST("/api/v1/meetings", {
          body: {
            patient_id: patient,
            kind,
            title,
            starts_at: new Date(starts).toISOString(),
            participants: invited.map((user_id) => ({ user_id, role: "participant" as const })),
          },
        }),
      );
      onPlanned();
      navigate(`meetings/${meeting.id}`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <FormPanel action={t("planMeeting")} onSubmit={plan} error={error}>
      <SelectField label={t("patient")} required value={patient} onValue={setPatient}>
        <option value="" />
        {(patients.data ?? []).map((p) => (
          <option key={p.id} value={p.id}>
            {p.display_name}
          </option>
        ))}
      </SelectField>
      <SelectField label={t("kind")} value={kind} onValue={setKind}>
        <option value="consultation">{t("consultation")}</option>
        <option value="discharge">{t("discharge")}</option>
      </SelectField>
      <TextField label={t("title")} required maxLength={200} value={title} onValue={setTitle} />
      <TextField label={t("startsAt")} type="datetime-local" required value={starts} onValue={setStarts} />
      {/* Several may be chosen: not a SelectField, whose value is one option's. */}
      <label>
        {t("participants")}
        <select
          multiple
          size={5}
          onChange={(e) =>
            setInvited([...(e.target as HTMLSelectElement).selectedOptions].map((o) => o.value))
          }
        >
          {(colleagues.data ?? []).map((c) => (
            <option key={c.id} value={c.id} selected={invited.includes(c.id)}>
              {c.display_name} ({c.organisations})
            </option>
          ))}
        </select>
      </label>
    </FormPanel>
  );
}

async function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return;
  await new Promise<void>((resolve) => {
    const done = () => pc.iceGatheringState === "complete" && resolve();
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 3000);
  });
}

/** The pre-call test: Heima sends our own camera and microphone back. */
function EchoTest() {
  const { t } = useT();
  const video = useRef<HTMLVideoElement>(null);
  const [pc, setPc] = useState<RTCPeerConnection | null>(null);
  const [error, setError] = useState<string | null>(null);
  const start = async () => {
    setError(null);
    try {
      const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      const peer = new RTCPeerConnection();
      for (const track of media.getTracks()) peer.addTrack(track, media);
      peer.ontrack = (event) => {
        if (video.current) video.current.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      };
      await peer.setLocalDescription(await peer.createOffer());
      await gathered(peer);
      const answer = ok(
        await api.POST("/api/v1/video/echo", {
          body: { type: "offer", sdp: peer.localDescription?.sdp ?? "" },
        }),
      );
      await peer.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      setPc(peer);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const stop = () => {
    for (const sender of pc?.getSenders() ?? []) sender.track?.stop();
    pc?.close();
    setPc(null);
  };
  useEffect(() => () => pc?.close(), [pc]);
  return (
    <div class="panel">
      {pc ? (
        <button type="button" class="secondary" onClick={stop}>
          {t("stop")}
        </button>
      ) : (
        <button type="button" class="secondary" onClick={start}>
          {t("echoTest")}
        </button>
      )}
      {pc && <p>{t("echoRunning")}</p>}
      {error && <p class="error">{error}</p>}
      <video ref={video} autoPlay playsInline muted hidden={!pc} class="echo" />
    </div>
  );
}

interface Remote {
  peer: PeerInfo;
  stream: MediaStream | null;
}

/** The meeting room: a full mesh, with the waiting room for hosts. */
export function MeetingRoom({ meetingId, me }: { meetingId: string; me: Me }) {
  const { t } = useT();
  const meeting = useLoad(
    async () =>
      ok(await api.GET("/api/v1/meetings/{meeting_id}", { params: { path: { meeting_id: meetingId } } })),
    [meetingId],
  );
  const [state, setState] = useState<"idle" | "waiting" | "joined" | "ended">("idle");
  const [role, setRole] = useState<string>("participant");
  const [remotes, setRemotes] = useState<Record<string, Remote>>({});
  const [waiting, setWaiting] = useState<PeerInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const local = useRef<HTMLVideoElement>(null);
  const socket = useRef<WebSocket | null>(null);
  const peers = useRef(new Map<string, RTCPeerConnection>());
  const media = useRef<MediaStream | null>(null);
  const ice = useRef<RTCIceServer[]>([]);

  const send = (frame: object) => socket.current?.send(JSON.stringify(frame));

  const connection = (peer: PeerInfo): RTCPeerConnection => {
    const existing = peers.current.get(peer.peer_id);
    if (existing) return existing;
    const pc = new RTCPeerConnection({ iceServers: ice.current });
    for (const track of media.current?.getTracks() ?? []) pc.addTrack(track, media.current as MediaStream);
    pc.onicecandidate = (event) =>
      send({ type: "ice", to: peer.peer_id, candidate: event.candidate?.toJSON() ?? null });
    pc.ontrack = (event) =>
      setRemotes((r) => ({
        ...r,
        [peer.peer_id]: { peer, stream: event.streams[0] ?? new MediaStream([event.track]) },
      }));
    peers.current.set(peer.peer_id, pc);
    setRemotes((r) => ({ ...r, [peer.peer_id]: r[peer.peer_id] ?? { peer, stream: null } }));
    return pc;
  };
  const offerTo = async (peer: PeerInfo) => {
    const pc = connection(peer);
    await pc.setLocalDescription(await pc.createOffer());
    send({ type: "offer", to: peer.peer_id, sdp: pc.localDescription?.sdp });
  };
  const drop = (peerId: string) => {
    peers.current.get(peerId)?.close();
    peers.current.delete(peerId);
    setRemotes((r) => {
      const { [peerId]: _, ...rest } = r;
      return rest;
    });
  };
  const names = useRef(new Map<string, PeerInfo>());

  const join = async () => {
    setError(null);
    try {
      media.current = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      if (local.current) local.current.srcObject = media.current;
      const ticket = ok(
        await api.POST("/api/v1/meetings/{meeting_id}/join", { params: { path: { meeting_id: meetingId } } }),
      );
      ice.current = ticket.ice_servers as RTCIceServer[];
      const url = new URL(ticket.signalling_url, location.href);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(url.href);
      socket.current = ws;
      ws.onmessage = async (message) => {
        const frame = JSON.parse(message.data as string);
        switch (frame.type) {
          case "welcome":
            setRole(frame.role);
            setState(frame.state);
            for (const p of frame.peers as PeerInfo[]) names.current.set(p.peer_id, p);
            if (frame.state === "joined" && !frame.resumed)
              for (const p of frame.peers as PeerInfo[]) await offerTo(p);
            break;
          case "admitted":
            setState("joined");
            for (const p of frame.peers as PeerInfo[]) {
              names.current.set(p.peer_id, p);
              await offerTo(p);
            }
            break;
          case "waiting":
            setWaiting((w) => [...w.filter((p) => p.peer_id !== frame.peer.peer_id), frame.peer]);
            break;
          case "peer-joined":
            names.current.set(frame.peer.peer_id, frame.peer);
            setWaiting((w) => w.filter((p) => p.peer_id !== frame.peer.peer_id));
            break;
          case "peer-left":
            setWaiting((w) => w.filter((p) => p.peer_id !== frame.peer_id));
            drop(frame.peer_id);
            break;
          case "offer": {
            const peer = names.current.get(frame.from) ?? {
              peer_id: frame.from,
              display_name: "…",
              role: "participant",
            };
            const pc = connection(peer);
            await pc.setRemoteDescription({ type: "offer", sdp: frame.sdp });
            await pc.setLocalDescription(await pc.createAnswer());
            send({ type: "answer", to: frame.from, sdp: pc.localDescription?.sdp });
            break;
          }
          case "answer":
            await peers.current.get(frame.from)?.setRemoteDescription({ type: "answer", sdp: frame.sdp });
            break;
          case "ice":
            if (frame.candidate)
              await peers.current
                .get(frame.from)
                ?.addIceCandidate(frame.candidate)
                .catch(() => undefined);
            break;
          case "ended":
            setState("ended");
            hangUp();
            break;
          case "error":
            setError(`${frame.title}: ${frame.detail}`);
            break;
        }
      };
      ws.onclose = () => setState((s) => (s === "ended" ? s : "idle"));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const hangUp = () => {
    for (const id of [...peers.current.keys()]) drop(id);
    for (const track of media.current?.getTracks() ?? []) track.stop();
    socket.current?.close();
  };
  useEffect(() => () => hangUp(), []);

  if (!meeting.data) return <p>{meeting.error ? meeting.error.message : t("loading")}</p>;
  const m = meeting.data;
  return (
    <section aria-labelledby="room-title" class="room">
      <h1 id="room-title">{m.title}</h1>
      <p class="meta">
        {m.kind === "discharge" ? t("discharge") : t("consultation")} ·{" "}
        {m.participants.map((p) => p.display_name).join(", ")}
      </p>
      {state === "idle" && (
        <button type="button" onClick={join}>
          {t("join")}
        </button>
      )}
      {state === "waiting" && <p role="status">{t("waitingToBeAdmitted")}</p>}
      {state === "ended" && <p role="status">{t("meetingEnded")}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {role === "host" && state === "joined" && (
        <div class="panel">
          <h2>{t("waitingRoom")}</h2>
          <ul class="plain waiting">
            {waiting.length === 0 && <li>{t("none")}</li>}
            {waiting.map((p) => (
              <li key={p.peer_id}>
                {p.display_name}{" "}
                <button type="button" onClick={() => send({ type: "admit", peer_id: p.peer_id })}>
                  {t("admit")}
                </button>{" "}
                <button
                  type="button"
                  class="secondary"
                  onClick={() => send({ type: "remove", peer_id: p.peer_id })}
                >
                  {t("remove")}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div class="videos">
        <figure>
          <video ref={local} autoPlay playsInline muted class="local" />
          <figcaption>{me.display_name}</figcaption>
        </figure>
        {Object.values(remotes).map((r) => (
          <RemoteVideo
            key={r.peer.peer_id}
            remote={r}
            onRemove={role === "host" ? () => send({ type: "remove", peer_id: r.peer.peer_id }) : undefined}
            removeLabel={t("remove")}
          />
        ))}
      </div>
      {state === "joined" && (
        <div class="row">
          <button
            type="button"
            class="secondary"
            onClick={() => {
              send({ type: "leave" });
              hangUp();
              navigate("meetings");
            }}
          >
            {t("leave")}
          </button>
          {role === "host" && (
            <button type="button" class="danger" onClick={() => send({ type: "end" })}>
              {t("endForAll")}
            </button>
          )}
        </div>
      )}
    </section>
  );
}

function RemoteVideo({
  remote,
  onRemove,
  removeLabel,
}: {
  remote: Remote;
  onRemove?: () => void;
  removeLabel: string;
}) {
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (video.current && remote.stream) video.current.srcObject = remote.stream;
  }, [remote.stream]);
  return (
    <figure data-peer={remote.peer.peer_id}>
      {/* biome-ignore lint/a11y/useMediaCaption: a live call has no caption track to offer */}
      <video ref={video} autoPlay playsInline class="remote" />
      <figcaption>
        {remote.peer.display_name}
        {onRemove && (
          <button type="button" class="secondary small" onClick={onRemove}>
            {removeLabel}
          </button>
        )}
      </figcaption>
    </figure>
  );
}
