"""arsdk's wire format (schema ``arsdk.stream/1``): multipart ZeroMQ messages, JSON only, never pickle.

Frames of one message:

0. topic: the stream name, UTF-8 (subscribers filter on it);
1. header: UTF-8 JSON, validated against ``schema/stream-header.schema.json`` (see ``docs/wire-format.md``);
2. image: JPEG (default), PNG, or raw BGR bytes (``height x width x 3``, row-major);
3. optional: the IUV image as PNG (DensePose layout: B = I, G = U*255, R = V*255);
4. optional: the instance image as 16-bit PNG.

The header's ``parts`` lists which optional frames follow, in order.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from ..dump import person_to_dict
from ..errors import TransportError
from ..types import FrameResult

__all__ = ["SCHEMA", "ENCODINGS", "Packet", "WireError", "encode", "decode", "decode_header"]

SCHEMA = "arsdk.stream/1"
ENCODINGS = ("jpeg", "png", "raw")
_MAX_HEADER_BYTES = 4 << 20
_MAX_SIDE = 16384


class WireError(TransportError):
    """A message that is not a valid arsdk message (it is dropped and counted, never raised to users)."""


@dataclass(frozen=True, slots=True)
class Packet:
    """One decoded message.

    Attributes:
        topic: the stream name.
        header: the JSON header (schema ``arsdk.stream/1``).
        image_bgr: (H, W, 3) uint8.
        iuv: (H, W, 3) uint8 IUV image, when sent.
        instances: (H, W) uint16 instance image, when sent.
        received_ms: when the subscriber took it off the socket (epoch milliseconds).
    """

    topic: str
    header: dict[str, Any]
    image_bgr: np.ndarray
    iuv: np.ndarray | None = None
    instances: np.ndarray | None = None
    received_ms: float = 0.0

    @property
    def latency_ms(self) -> float:
        """Publish-to-receive latency (same clock when both ends share a machine)."""
        return self.received_ms - float(self.header["publish_ms"])


def _encode_image(image: np.ndarray, encoding: str, quality: int) -> bytes | memoryview:
    if encoding == "raw":
        return memoryview(np.ascontiguousarray(image)).cast("B")
    ext, params = (".jpg", [cv2.IMWRITE_JPEG_QUALITY, quality]) if encoding == "jpeg" else (".png", [])
    ok, buffer = cv2.imencode(ext, image, params)
    if not ok:
        raise TransportError(f"cannot encode the image as {encoding}")
    return memoryview(buffer).cast("B")  # a fresh buffer per message: sent zero-copy, never reused


def encode(
    result: FrameResult,
    stream: str,
    sequence: int,
    *,
    encoding: str = "jpeg",
    jpeg_quality: int = 85,
    include_iuv: bool = False,
    labels: dict[int, str] | None = None,
) -> list[bytes | memoryview]:
    """The frames of one message for ``result`` (the output image and the tracked people).

    Raises:
        TransportError: an unknown encoding.
    """
    if encoding not in ENCODINGS:
        raise TransportError(f"unknown encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")
    image = result.output_bgr
    height, width = image.shape[:2]
    persons = []
    for position, person in enumerate(result.persons):
        entry = person_to_dict(person, position)
        drawn = result.labels[position] if position < len(result.labels) else None
        chosen = (labels or {}).get(person.track_id) if person.track_id is not None else None
        entry["label"] = chosen if chosen is not None else drawn
        entry["label_drawn"] = drawn is not None and chosen is None
        persons.append(entry)
    parts = []
    extra: list[bytes] = []
    if include_iuv and any(p.iuv is not None for p in result.persons):
        from ..densepose.frame_iuv import frame_iuv

        images = frame_iuv(result.persons, (width, height))  # value k = persons[k - 1], as the header says
        extra = [cv2.imencode(".png", images.iuv)[1].tobytes(), cv2.imencode(".png", images.instances)[1].tobytes()]
        parts = ["iuv", "instances"]
    header = {
        "schema": SCHEMA,
        "stream": stream,
        "seq": int(sequence),
        "frame_index": int(result.frame.index),
        "timestamp_ms": float(result.frame.timestamp_ms),
        "publish_ms": time.time() * 1000.0,
        "capture_to_send_ms": (None if result.frame.captured_ms is None
                               else round(time.monotonic() * 1000.0 - result.frame.captured_ms, 2)),  # fmt: skip
        "width": int(width),
        "height": int(height),
        "encoding": encoding,
        "parts": parts,
        "persons": persons,
    }
    return [stream.encode(), json.dumps(header, separators=(",", ":")).encode(), _encode_image(image, encoding, jpeg_quality), *extra]


def decode_header(raw: bytes) -> dict[str, Any]:
    """Parse and check a header frame.

    Raises:
        WireError: not JSON, not an object, a foreign schema, or fields of the wrong kind.
    """
    if len(raw) > _MAX_HEADER_BYTES:
        raise WireError("header too large")
    try:
        header = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WireError(f"header is not UTF-8 JSON: {exc}") from exc
    if not isinstance(header, dict) or header.get("schema") != SCHEMA:
        raise WireError(f"not an {SCHEMA} header")
    kinds = {"stream": str, "seq": int, "width": int, "height": int, "encoding": str, "parts": list, "persons": list,
             "timestamp_ms": (int, float), "publish_ms": (int, float)}  # fmt: skip
    for name, kind in kinds.items():
        if not isinstance(header.get(name), kind) or isinstance(header.get(name), bool):
            raise WireError(f"header field {name!r} missing or not {kind}")
    if not (0 < header["width"] <= _MAX_SIDE and 0 < header["height"] <= _MAX_SIDE):
        raise WireError("implausible image size")
    if header["encoding"] not in ENCODINGS or any(p not in ("iuv", "instances") for p in header["parts"]):
        raise WireError("unknown encoding or part")
    return header


def _decode_image(raw: bytes, header: dict, flags: int, channels: int | None) -> np.ndarray:
    buffer = np.frombuffer(raw, np.uint8)
    image = cv2.imdecode(buffer, flags) if buffer.size else None
    if image is None:
        raise WireError("image frame does not decode")
    if image.shape[:2] != (header["height"], header["width"]) or (channels and (image.ndim != 3 or image.shape[2] != channels)):
        raise WireError("image size does not match the header")
    return image


def decode(frames: list[bytes], received_ms: float | None = None) -> Packet:
    """A message's frames -> Packet.

    Raises:
        WireError: anything malformed (frame count, header, image size or encoding).
    """
    if len(frames) < 3:
        raise WireError(f"expected at least 3 frames, got {len(frames)}")
    try:
        topic = bytes(frames[0]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WireError("topic is not UTF-8") from exc
    header = decode_header(frames[1])
    if len(frames) != 3 + len(header["parts"]):
        raise WireError("frame count does not match the header's parts")
    if header["encoding"] == "raw":
        h, w = header["height"], header["width"]
        if len(frames[2]) != h * w * 3:
            raise WireError("raw image has the wrong length")
        image = np.frombuffer(frames[2], np.uint8).reshape(h, w, 3)
    else:
        image = _decode_image(frames[2], header, cv2.IMREAD_COLOR, 3)
    extra = {name: frames[3 + i] for i, name in enumerate(header["parts"])}
    iuv = _decode_image(extra["iuv"], header, cv2.IMREAD_UNCHANGED, 3) if "iuv" in extra else None
    instances = _decode_image(extra["instances"], header, cv2.IMREAD_UNCHANGED, None) if "instances" in extra else None
    return Packet(topic, header, image, iuv, instances, received_ms if received_ms is not None else time.time() * 1000.0)
