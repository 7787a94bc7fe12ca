// An activation code as a QR code for the phone's camera, drawn as SVG from the module matrix of
// `uqr` (a port of Nayuki's QR generator; no other dependency). Error correction M, a quiet zone
// of four modules. The code is also always shown as text beside it.
import { encode } from "uqr";

export function QrCode({ text, label }: { text: string; label: string }) {
  const qr = encode(text, { ecc: "M", border: 4 });
  const size = qr.data.length;
  const path = qr.data.flatMap((row, y) => row.map((dark, x) => (dark ? `M${x} ${y}h1v1h-1z` : ""))).join("");
  return (
    <svg
      class="qr"
      viewBox={`0 0 ${size} ${size}`}
      width={size * 6}
      height={size * 6}
      role="img"
      aria-label={label}
      shape-rendering="crispEdges"
      data-modules={qr.data.map((row) => row.map((dark) => (dark ? "1" : "0")).join("")).join("/")}
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
