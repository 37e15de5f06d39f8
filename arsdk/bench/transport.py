"""Streaming: arsdk vs imagezmq PUB/SUB, same 640x480 JPEG frames and quality, on loopback.

* throughput: frames per second the publisher sends (encode + send) while a fast subscriber reads all;
* latency (receive - publish) percentiles with a fast subscriber and with one working at half the rate.
"""

from __future__ import annotations

import json
import threading
import time
import warnings

import cv2
import numpy as np

from arsdk import Frame, FrameResult
from arsdk.transport import Publisher, ReceiveMode, Subscriber
from arsdk.transport.endpoints import free_loopback_endpoint

from .timing import percentiles

QUALITY = 85
ENCODE_THREADS = 2
"""arsdk's publisher encodes on two threads (``Publisher(encode_threads=2)``); imagezmq has no such option."""


def _frames(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 255, (480, 640, 3), np.uint8), (9, 9), 3)
    return [np.roll(base, 4 * i, axis=1) for i in range(count)]


def _drive(send, images, interval_s, consume, done, finish=lambda: None) -> float:
    """Run ``consume`` in a thread while sending ``images`` (paced by ``interval_s``); frames per second sent
    (``finish`` waits for frames still being encoded)."""
    thread = threading.Thread(target=consume)
    thread.start()
    start = time.perf_counter()
    for image in images:
        send(image)
        if interval_s:
            time.sleep(interval_s)
    finish()
    elapsed = time.perf_counter() - start
    time.sleep(0.3)
    done.set()
    thread.join()
    return len(images) / elapsed


def _arsdk(images, interval_s, consumer_every_s):
    endpoint = free_loopback_endpoint()
    latencies = []
    with Publisher(endpoint, jpeg_quality=QUALITY, encode_threads=ENCODE_THREADS) as publisher, \
            Subscriber(endpoint, mode=ReceiveMode.LATEST if consumer_every_s else ReceiveMode.ALL, queue_size=10000) as sub:  # fmt: skip
        while sub.receive(timeout_ms=20) is None:
            publisher.publish(FrameResult(Frame(images[0], 0, 0.0), ()))
        done = threading.Event()

        def consume():
            while not done.is_set():
                if consumer_every_s:
                    time.sleep(consumer_every_s)
                packet = sub.receive(timeout_ms=50)
                if packet is not None:
                    latencies.append(time.time() * 1000 - packet.header["publish_ms"])

        counter = iter(range(1, len(images) + 1))
        rate = _drive(lambda image: publisher.publish(FrameResult(Frame(image, next(counter), 0.0), ())),
                      images, interval_s, consume, done, publisher.flush)  # fmt: skip
    return rate, latencies


def _imagezmq(images, interval_s, consumer_every_s):
    import imagezmq

    endpoint = free_loopback_endpoint()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sender = imagezmq.ImageSender(connect_to=endpoint, REQ_REP=False)
    hub = imagezmq.ImageHub(open_port=endpoint, REQ_REP=False)
    import zmq

    hub.zmq_socket.setsockopt(zmq.RCVTIMEO, 50)
    latencies = []
    while True:  # wait for the subscription
        sender.send_jpg(json.dumps({"t": time.time() * 1000}), cv2.imencode(".jpg", images[0])[1])
        try:
            hub.recv_jpg()
            break
        except zmq.Again:
            continue
    done = threading.Event()

    def consume():
        while not done.is_set():
            if consumer_every_s:
                time.sleep(consumer_every_s)
            try:
                message, jpg = hub.recv_jpg()
            except zmq.Again:
                continue
            cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)
            latencies.append(time.time() * 1000 - json.loads(message)["t"])

    def send(image):
        jpg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])[1]
        sender.send_jpg(json.dumps({"t": time.time() * 1000}), jpg)

    rate = _drive(send, images, interval_s, consume, done)
    hub.close()
    sender.close()
    return rate, latencies


def _publisher_only(images) -> dict:
    """Frames per second of each publisher with nobody subscribed (no subscriber competing for the CPU)."""
    import imagezmq

    out = {}
    with Publisher(free_loopback_endpoint(), jpeg_quality=QUALITY, encode_threads=ENCODE_THREADS) as publisher:
        start = time.perf_counter()
        for i, image in enumerate(images):
            publisher.publish(FrameResult(Frame(image, i, 0.0), ()))
        publisher.flush()
        out["arsdk"] = len(images) / (time.perf_counter() - start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sender = imagezmq.ImageSender(connect_to=free_loopback_endpoint(), REQ_REP=False)
    start = time.perf_counter()
    for image in images:
        sender.send_jpg(json.dumps({"t": time.time() * 1000}), cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])[1])
    out["imagezmq"] = len(images) / (time.perf_counter() - start)
    sender.close()
    return out


def run(frames: int = 200, slow_seconds: float = 4.0, fps: float = 20.0, rounds: int = 3) -> dict:
    """Throughput is measured ``rounds`` times for each, in the order arsdk, imagezmq, imagezmq, arsdk, ...
    (a run of a few hundred frames lasts a fraction of a second, and a shared machine's speed drifts between
    two of them); ``throughput_fps`` is the mean, ``throughput_rounds_fps`` lists each round."""
    images = _frames(frames)
    interval = 1.0 / fps
    slow_images = _frames(int(slow_seconds * fps))
    senders = {"arsdk": _arsdk, "imagezmq": _imagezmq}
    throughputs: dict[str, list[float]] = {name: [] for name in senders}
    for k in range(rounds):
        for name in list(senders)[:: 1 if k % 2 == 0 else -1]:
            throughputs[name].append(senders[name](images, 0.0, 0.0)[0])
    out = {}
    for name, fn in senders.items():
        _, paced_fast = fn(slow_images, interval, 0.0)
        _, slow = fn(slow_images, interval, 2 * interval)
        out[name] = {"throughput_fps": float(np.mean(throughputs[name])),
                     "throughput_rounds_fps": throughputs[name], "fast_latency_ms": percentiles(paced_fast),
                     "slow_latency_ms": percentiles(slow), "slow_received": len(slow)}  # fmt: skip
    out["throughput_ratio"] = out["arsdk"]["throughput_fps"] / out["imagezmq"]["throughput_fps"]
    alone = _publisher_only(images)
    out["publisher_only_fps"] = alone
    out["publisher_only_ratio"] = alone["arsdk"] / alone["imagezmq"]
    out["frame_interval_ms"] = interval * 1000
    out["arsdk_encode_threads"] = ENCODE_THREADS
    return out


def markdown(result: dict) -> str:
    rows = ["## Streaming 640x480 JPEG: arsdk vs imagezmq PUB/SUB (loopback)", "",
            "| | publisher fps | fast subscriber latency p50 / p99 ms | half-rate subscriber latency p50 / p99 ms |",
            "| --- | ---: | ---: | ---: |"]  # fmt: skip
    for name in ("arsdk", "imagezmq"):
        r = result[name]
        f, s = r["fast_latency_ms"], r["slow_latency_ms"]
        rows.append(f"| {name} | {r['throughput_fps']:.0f} | {f.get('p50', 0):.1f} / {f.get('p99', 0):.1f} | "
                    f"{s.get('p50', 0):.1f} / {s.get('p99', 0):.1f} |")  # fmt: skip
    alone = result["publisher_only_fps"]
    rounds = len(result["arsdk"].get("throughput_rounds_fps", [0]))
    rows += ["", f"arsdk's publisher encodes on {result.get('arsdk_encode_threads', 1)} threads "
             "(`Publisher(encode_threads=...)`); imagezmq encodes in the caller's thread.",
             "", "Throughput ratio arsdk / imagezmq with a subscriber reading every frame on the same 2 "
             f"cores: {result['throughput_ratio']:.2f} (target >= 1.0; the mean of {rounds} rounds each, "
             f"taken in turns); publishers alone: {alone['arsdk']:.0f} vs {alone['imagezmq']:.0f} fps, ratio "
             f"{result['publisher_only_ratio']:.2f}. Half-rate subscriber p99 target: under two frame "
             f"intervals ({2 * result['frame_interval_ms']:.0f} ms).", ""]  # fmt: skip
    return "\n".join(rows)
