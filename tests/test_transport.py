"""ZeroMQ streaming with real sockets on 127.0.0.1."""

import json
import socket
import threading
import time

import cv2
import numpy as np
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arsdk import ConfigError, Frame, FrameResult, TransportError
from arsdk.densepose.frame_iuv import frame_iuv
from arsdk.dump import person_to_dict
from arsdk.transport import Publisher, ReceiveMode, Subscriber, WireFormat, generate_keys
from tests.golden_cases import persons_of


def _endpoint() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture(scope="module")
def result():
    image, persons = persons_of("basketball1.png")
    tracked = tuple(p.replace(track_id=i + 3, attributes={"speed_m_s": 1.25, "direction": "left"})
                    for i, p in enumerate(persons))  # fmt: skip
    return FrameResult(Frame(image, 7, 700.0, "basketball1.png"), tracked)


def _publish_until(publisher, result, subscriber, timeout_s=5.0):
    """PUB/SUB joins asynchronously: publish until the subscriber has something."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        publisher.publish(result)
        packet = subscriber.receive(timeout_ms=50)
        if packet is not None:
            return packet
    return None


@pytest.mark.parametrize("encoding", ["jpeg", "png", "raw"])
def test_round_trip_of_every_field(result, encoding):
    endpoint = _endpoint()
    with Publisher(endpoint, "court", encoding=encoding, include_iuv=True) as publisher, Subscriber(endpoint) as sub:
        publisher.labels = {3: "player three"}
        packet = _publish_until(publisher, result, sub)
    assert packet is not None
    header = packet.header
    assert packet.topic == "court" and header["stream"] == "court" and header["schema"] == "arsdk.stream/1"
    assert header["frame_index"] == 7 and header["timestamp_ms"] == 700.0
    assert (header["width"], header["height"], header["encoding"]) == (640, 480, encoding)
    expected = [person_to_dict(p, i) for i, p in enumerate(result.persons)]
    for sent, got in zip(expected, header["persons"]):
        assert {k: v for k, v in got.items() if k not in ("label", "label_drawn")} == json.loads(json.dumps(sent))
    assert [p["label"] for p in header["persons"]] == ["player three", None]
    assert [p["label_drawn"] for p in header["persons"]] == [False, False]
    assert header["persons"][0]["stats"] == {"speed_m_s": 1.25, "direction": "left"}
    image = result.frame.image_bgr
    if encoding == "jpeg":
        assert np.abs(packet.image_bgr.astype(int) - image).mean() < 4
    else:
        np.testing.assert_array_equal(packet.image_bgr, image)
    reference = frame_iuv(result.persons, (640, 480))
    np.testing.assert_array_equal(packet.iuv, reference.iuv)
    np.testing.assert_array_equal(packet.instances, reference.instances)
    # one value per person that the header and the image agree on, whatever the track IDs
    for person in header["persons"]:
        if person["iuv"] is not None:
            assert (packet.instances == person["iuv"]["instance"]).any()
    assert sorted(set(np.unique(packet.instances)) - {0}) == [p["iuv"]["instance"] for p in header["persons"] if p["iuv"]]
    assert packet.latency_ms >= 0


def test_encoder_threads_keep_messages_in_order_and_close_sends_the_rest(result):
    endpoint = _endpoint()
    with Subscriber(endpoint, mode=ReceiveMode.ALL, queue_size=500) as sub:
        with Publisher(endpoint, encode_threads=3, send_hwm=1000) as publisher:
            assert _publish_until(publisher, result, sub) is not None
            time.sleep(0.1)
            while sub.receive(timeout_ms=100) is not None:  # drain the joining messages
                pass
            first = publisher.sequence
            for index in range(60):
                publisher.publish(FrameResult(Frame(result.frame.image_bgr, 100 + index, 0.0), result.persons))
        # leaving the block closed the publisher: everything queued was sent first
        seqs = []
        while (packet := sub.receive(timeout_ms=500)) is not None:
            seqs.append(packet.header["seq"])
    assert seqs == list(range(first, first + 60))
    with pytest.raises(ConfigError, match="encode_threads"):
        Publisher(_endpoint(), encode_threads=0)


def test_two_subscribers_at_once(result):
    endpoint = _endpoint()
    with Publisher(endpoint) as publisher, Subscriber(endpoint) as a, Subscriber(endpoint) as b:
        assert _publish_until(publisher, result, a) is not None
        assert _publish_until(publisher, result, b) is not None


def test_subscriber_reconnects_when_the_publisher_restarts(result):
    endpoint = _endpoint()
    with Subscriber(endpoint) as sub:
        with Publisher(endpoint) as first:
            assert _publish_until(first, result, sub) is not None
        time.sleep(0.3)
        with Publisher(endpoint) as second:
            packet = _publish_until(second, result, sub, timeout_s=10.0)
    assert packet is not None and packet.header["seq"] >= 0


def test_a_stalled_subscriber_slows_neither_the_publisher_nor_the_others(result):
    endpoint = _endpoint()
    context = zmq.Context()
    stalled = context.socket(zmq.SUB)  # connected, never reads
    stalled.setsockopt(zmq.SUBSCRIBE, b"")
    stalled.connect(endpoint)
    small = FrameResult(Frame(np.zeros((48, 64, 3), np.uint8), 0, 0.0), ())
    try:
        with Publisher(endpoint) as publisher, Subscriber(endpoint, mode=ReceiveMode.ALL, queue_size=1000) as sub:
            assert _publish_until(publisher, small, sub) is not None
            for _ in range(300):
                publisher.publish(small)  # returns at once even though one subscriber never reads
                time.sleep(0.002)
            time.sleep(0.3)
            got = 0
            while sub.receive(timeout_ms=100) is not None:
                got += 1
        assert got >= 270, f"the reading subscriber got {got} of 300"
    finally:
        stalled.close(linger=0)
        context.term()


def test_a_half_rate_subscriber_sees_latency_under_two_frame_intervals():
    endpoint = _endpoint()
    interval_s = 0.05
    image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    stop = threading.Event()

    def produce(publisher):
        index = 0
        while not stop.is_set():
            publisher.publish(FrameResult(Frame(image, index, index * 50.0), ()))
            index += 1
            time.sleep(interval_s)

    latencies = []
    with Publisher(endpoint) as publisher, Subscriber(endpoint) as sub:
        thread = threading.Thread(target=produce, args=(publisher,))
        thread.start()
        try:
            assert sub.receive(timeout_ms=5000) is not None
            for _ in range(30):
                time.sleep(2 * interval_s)  # the consumer works at half the frame rate
                packet = sub.receive(timeout_ms=1000)
                latencies.append(time.time() * 1000.0 - packet.header["publish_ms"])
        finally:
            stop.set()
            thread.join()
    assert np.percentile(latencies, 99) < 2 * interval_s * 1000, f"latencies {sorted(latencies)[-5:]}"
    assert sub.stats.dropped_stale > 0, "older frames were dropped instead of queued"


@pytest.mark.parametrize(("encoding", "method"), [("jpeg", "recv_jpg"), ("raw", "recv_image")])
def test_the_real_imagezmq_hub_receives_arsdk_frames(result, encoding, method):
    import imagezmq

    endpoint = _endpoint()
    with Publisher(endpoint, wire_format=WireFormat.IMAGEZMQ, encoding=encoding) as publisher:
        hub = imagezmq.ImageHub(open_port=endpoint, REQ_REP=False)
        hub.zmq_socket.setsockopt(zmq.RCVTIMEO, 200)
        try:
            received = None
            for _ in range(50):
                publisher.publish(result)
                try:
                    received = getattr(hub, method)()
                    break
                except zmq.Again:
                    continue
        finally:
            hub.close()
    assert received is not None
    message, payload = received
    header = json.loads(message)
    assert header["schema"] == "arsdk.stream/1" and len(header["persons"]) == 2
    image = cv2.imdecode(np.frombuffer(payload, np.uint8), cv2.IMREAD_COLOR) if encoding == "jpeg" else payload
    assert image.shape == (480, 640, 3)


def test_curve_admits_only_allow_listed_subscribers(result, tmp_path):
    keys = generate_keys(tmp_path / "keys")
    strangers = generate_keys(tmp_path / "strangers", clients=("stranger",))
    for name in ("server.key",):  # the stranger trusts the right server, but its own key is not allowed
        (strangers / name).write_bytes((keys / name).read_bytes())
    endpoint = _endpoint()
    small = FrameResult(Frame(np.zeros((48, 64, 3), np.uint8), 0, 0.0), ())
    with Publisher(endpoint, curve_keys=keys) as publisher, \
            Subscriber(endpoint, curve_keys=keys) as allowed, \
            Subscriber(endpoint, curve_keys=strangers, client_name="stranger") as stranger, \
            Subscriber(endpoint) as plaintext:  # fmt: skip
        assert _publish_until(publisher, small, allowed) is not None
        for _ in range(20):
            publisher.publish(small)
            time.sleep(0.02)
        assert stranger.receive(timeout_ms=500) is None and stranger.stats.received == 0
        assert plaintext.receive(timeout_ms=100) is None and plaintext.stats.received == 0


def test_binding_beyond_loopback_needs_consent():
    with pytest.raises(ConfigError, match="reachable from other machines"):
        Publisher("tcp://*:5599")
    with pytest.raises(ConfigError, match="use tcp://HOST:PORT"):
        Publisher("udp://127.0.0.1:1")


def test_an_endpoint_in_use_is_a_clear_error():
    endpoint = _endpoint()
    with Publisher(endpoint):
        with pytest.raises(TransportError, match="cannot bind"):
            Publisher(endpoint)


_frame = st.binary(max_size=96)
_junk_message = st.lists(_frame, min_size=1, max_size=6)
_bad_header = st.fixed_dictionaries(
    {"schema": st.sampled_from(["arsdk.stream/1", "arsdk.stream/9", 3]),
     "width": st.one_of(st.integers(-5, 20000), st.text(max_size=3)), "height": st.integers(-5, 20000),
     "encoding": st.sampled_from(["jpeg", "raw", "gif"]), "parts": st.lists(st.sampled_from(["iuv", "x"]), max_size=2)},
)  # fmt: skip


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(junk=st.lists(_junk_message, min_size=200, max_size=400), headers=st.lists(_bad_header, min_size=20, max_size=50))
def test_fuzzed_messages_never_crash_the_subscriber(junk, headers):
    endpoint = _endpoint()
    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 100000)
    pub.bind(endpoint)
    messages = list(junk) + [[b"t", json.dumps(h).encode(), b"\xff\xd8junk"] for h in headers]
    messages += [[b"t", json.dumps({"schema": "arsdk.stream/1"}).encode()[:k], b"x"] for k in range(1, 25)]
    try:
        with Subscriber(endpoint, mode=ReceiveMode.ALL, queue_size=100000) as sub:
            probe = FrameResult(Frame(np.zeros((8, 8, 3), np.uint8), 0, 0.0), ())
            from arsdk.transport import encode

            deadline = time.monotonic() + 5
            while sub.stats.received == 0 and time.monotonic() < deadline:  # wait until connected
                pub.send_multipart([b"probe"])
                time.sleep(0.02)
            before = sub.stats.received
            for message in messages:
                pub.send_multipart(message)
            pub.send_multipart(encode(probe, "after", 1))
            packet = None
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                packet = sub.receive(timeout_ms=100)
                if packet is not None:
                    break
            assert packet is not None and packet.topic == "after", "a valid message still comes through"
            assert sub.stats.received - before == len(messages) + 1
            assert sub.stats.dropped_malformed >= len(messages)
    finally:
        pub.close(linger=0)
        context.term()


def test_cli_publishes_and_view_and_stats_read_the_stream(tmp_path, sample_clip, capsys):
    """arsdk run --publish in one thread; arsdk view --out and arsdk stats against it, with CURVE keys."""
    from arsdk.cli import main

    keys = tmp_path / "keys"
    assert main(["keys", "generate", str(keys)]) == 0
    endpoint = _endpoint()
    runner = threading.Thread(target=main, args=(["run", "--source", str(sample_clip), "--loop", "--max-frames", "60",
                                                   "--publish", endpoint, "--curve-keys", str(keys), "--no-hog",
                                                   "--proposal-interval", "10", "--effect", "labels"],))  # fmt: skip
    runner.start()
    try:
        out = tmp_path / "view.mp4"
        assert main(["view", endpoint, "--out", str(out), "--max-frames", "3", "--curve-keys", str(keys),
                     "--timeout-ms", "60000"]) == 0  # fmt: skip
        assert int(cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT)) == 3
        assert main(["stats", endpoint, "--seconds", "2", "--json", "--curve-keys", str(keys)]) == 0
    finally:
        runner.join()
    captured = capsys.readouterr()
    assert "frames recorded to" in captured.err
    report = json.loads(captured.out)
    assert report["frames"] > 0 and report["latency_ms"]["p50"] >= 0
    # capture to send: the estimator, tracker and labels ran in between, on the monotonic clock
    assert 0 < report["capture_to_send_ms"]["p50"] < 60000


def test_view_without_a_publisher_says_so(capsys):
    from arsdk.cli import main

    assert main(["view", _endpoint(), "--out", "/tmp/never.mp4", "--timeout-ms", "300"]) == 2
    assert "is the publisher running" in capsys.readouterr().err


def test_view_of_an_encrypted_stream_without_keys_says_keys_may_be_needed(result, tmp_path, capsys):
    from arsdk.cli import main

    keys = tmp_path / "keys"
    assert main(["keys", "generate", str(keys)]) == 0
    endpoint = _endpoint()
    with Publisher(endpoint, curve_keys=keys) as publisher:
        stop = threading.Event()
        sender = threading.Thread(target=lambda: [publisher.publish(result) or time.sleep(0.05) for _ in range(40)
                                                  if not stop.is_set()])  # fmt: skip
        sender.start()
        try:
            assert main(["view", endpoint, "-o", str(tmp_path / "v.mp4"), "--timeout-ms", "800"]) == 2
        finally:
            stop.set()
            sender.join()
    err = capsys.readouterr().err
    assert "--curve-keys" in err and "allowed clients" in err


def test_secret_keys_are_private_and_readable_ones_are_refused(tmp_path, capsys):
    import os
    import stat

    from arsdk.cli import main

    keys = tmp_path / "keys"
    assert main(["keys", "generate", str(keys), "--client", "phone"]) == 0
    for secret in keys.glob("*.key_secret"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    assert stat.S_IMODE((keys / "server.key").stat().st_mode) == 0o644
    os.chmod(keys / "phone.key_secret", 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        Subscriber(_endpoint(), curve_keys=keys, client_name="phone")
    os.chmod(keys / "server.key_secret", 0o640)
    with pytest.raises(ConfigError, match="readable by other users"):
        Publisher(_endpoint(), curve_keys=keys)


def test_headers_follow_the_published_json_schema(result):
    import jsonschema

    from arsdk.transport import encode
    from tests.conftest import REPO

    schema = json.loads((REPO / "schema" / "stream-header.schema.json").read_text())
    for include_iuv in (False, True):
        frames = encode(result, "s", 3, include_iuv=include_iuv, labels={3: "x"})
        jsonschema.validate(json.loads(bytes(frames[1])), schema)
    untracked = FrameResult(result.frame, tuple(p.replace(track_id=None, iuv=None) for p in result.persons))
    jsonschema.validate(json.loads(bytes(encode(untracked, "s", 0)[1])), schema)


def test_ipc_endpoints_work_too(result, tmp_path):
    endpoint = f"ipc://{tmp_path / 'arsdk.sock'}"
    with Publisher(endpoint, "local") as publisher, Subscriber(endpoint, topics=("local",)) as sub:
        packet = _publish_until(publisher, result, sub)
    assert packet is not None and packet.topic == "local" and len(packet.header["persons"]) == 2


def test_topics_select_streams(result):
    endpoint = _endpoint()
    with Publisher(endpoint, "cam-a") as publisher, Subscriber(endpoint, topics=("cam-b",)) as sub:
        for _ in range(20):
            publisher.publish(result)
            time.sleep(0.01)
        assert sub.receive(timeout_ms=300) is None and sub.stats.received == 0


def test_labels_the_labels_effect_draws_are_published_unless_the_application_set_its_own(result):
    from arsdk.compositor import Compositor, LabelsEffect
    from arsdk.transport import encode

    compositor = Compositor([LabelsEffect(text=lambda p: [f"#{p.track_id}", "fast"])])
    image = compositor.render(result.frame, result.persons)
    drawn = tuple(compositor.last_labels.get(i) for i in range(len(result.persons)))
    assert drawn == (f"#{result.persons[0].track_id}\nfast", f"#{result.persons[1].track_id}\nfast")
    composed = FrameResult(result.frame, result.persons, image, labels=drawn)
    own = {result.persons[1].track_id: "goalkeeper"}
    header = json.loads(bytes(encode(composed, "s", 0, labels=own)[1]))
    first, second = header["persons"]
    assert (first["label"], first["label_drawn"]) == (drawn[0], True)
    assert (second["label"], second["label_drawn"]) == ("goalkeeper", False)


def test_the_pipeline_carries_the_drawn_labels_to_the_result(sample_clip):
    from arsdk import MediaPipePoseEstimator, Pipeline, PersonTracker, PoseEstimatorOptions, RunMode, open_source
    from arsdk.compositor import Compositor, LabelsEffect

    results = []

    class Keep:
        def write(self, r):
            results.append(r)

        def close(self):
            pass

    options = PoseEstimatorOptions(running_mode=RunMode.VIDEO, dense_iuv=False)
    with open_source(sample_clip) as source, MediaPipePoseEstimator(options) as estimator:
        Pipeline(source, estimator, tracker=PersonTracker(), compositor=Compositor([LabelsEffect()]), sinks=[Keep()],
                 options=__import__("arsdk").PipelineOptions(max_frames=4)).run()  # fmt: skip
    last = results[-1]
    assert len(last.labels) == len(last.persons) and any(last.labels)


def test_header_and_instance_image_agree_for_tracked_and_untracked_people_in_stream_and_dump(result, tmp_path):
    """A tracked person with ID 2 first, an untracked one second: ID 2 must not be confused with the second
    person's instance value (it used to be, when the stream's image carried track IDs)."""
    from arsdk.dump import DumpSink
    from arsdk.transport import decode, encode

    persons = (result.persons[0].replace(track_id=2), result.persons[1].replace(track_id=None))
    mixed = FrameResult(result.frame, persons)
    packet = decode([bytes(f) for f in encode(mixed, "s", 0, encoding="png", include_iuv=True)])
    with DumpSink(tmp_path) as sink:
        sink.write(mixed)
    doc = json.loads((tmp_path / f"{result.frame.index:06d}.json").read_text())
    dumped = cv2.imread(str(tmp_path / doc["inds_png"]), cv2.IMREAD_UNCHANGED)
    for people, instances in ((packet.header["persons"], packet.instances), (doc["persons"], dumped)):
        assert [p["iuv"]["instance"] for p in people] == [1, 2]
        assert [p["track_id"] for p in people] == [2, None]
        for p in people:
            assert 0 < int((instances == p["iuv"]["instance"]).sum()) <= p["iuv"]["pixels"]
        assert set(np.unique(instances)) == {0, 1, 2}
