"""arsdk cluster on a local Ray instance (127.0.0.1): three streams (copies of the sample clip) through two
CPU estimator replicas; every stream publishes frames with stable track ids, also when a replica is killed."""

import socket
import threading
import time

import pytest
import zmq

from arsdk import ConfigError
from arsdk.cluster import CameraConfig, ClusterConfig, EstimatorServiceConfig, load_config, ray_available

pytestmark = pytest.mark.skipif(not ray_available(), reason="Ray Serve not installed (pip install 'arsdk[cluster]')")


def _free_endpoint() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


class _Listener:
    """A raw SUB socket per stream counting messages (the front-end's view)."""

    def __init__(self, endpoints: dict[str, str]) -> None:
        self.counts = dict.fromkeys(endpoints, 0)
        self.track_ids: dict[str, list[list[int]]] = {name: [] for name in endpoints}
        self._context = zmq.Context()
        self._sockets = {}
        for name, endpoint in endpoints.items():
            sock = self._context.socket(zmq.SUB)
            sock.setsockopt(zmq.SUBSCRIBE, name.encode())
            sock.setsockopt(zmq.RCVTIMEO, 50)
            sock.connect(endpoint)
            self._sockets[name] = sock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from arsdk.transport import decode

        while not self._stop.is_set():
            for name, sock in self._sockets.items():
                try:
                    packet = decode(sock.recv_multipart())
                except zmq.Again:
                    continue
                self.counts[name] += 1
                self.track_ids[name].append([p["track_id"] for p in packet.header["persons"] if p["track_id"] is not None])

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self._sockets.values():
            sock.close(linger=0)
        self._context.term()


def _config(sample_clip, frames: int) -> ClusterConfig:
    cameras = tuple(CameraConfig(f"cam{i}", str(sample_clip), _free_endpoint(), effects=("labels",), realtime=False,
                                 max_frames=frames) for i in range(3))  # fmt: skip
    return ClusterConfig(cameras, EstimatorServiceConfig(replicas=2, max_batch_size=3, cpus_per_replica=0.5))


@pytest.fixture(scope="module")
def ray_local():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False, namespace="arsdk")
    yield ray
    from ray import serve

    serve.shutdown()
    ray.shutdown()


def _stable(ids_per_frame: list[list[int]]) -> bool:
    """Track ids persist: most ids seen are seen on many frames (no id churn frame after frame)."""
    from collections import Counter

    seen = Counter(i for ids in ids_per_frame for i in ids)
    long_lived = [i for i, n in seen.items() if n >= 10]
    return len(long_lived) >= 2 and sum(seen[i] for i in long_lived) >= 0.8 * sum(seen.values())


@pytest.mark.slow  # its fast representative: the replica-kill test below checks the same streams and ids
def test_three_streams_through_two_replicas_publish_with_stable_ids(ray_local, sample_clip):
    from arsdk.cluster import Cluster

    config = _config(sample_clip, 40)
    listener = _Listener({c.name: c.publish for c in config.cameras})
    try:
        with Cluster(config) as cluster:
            final = cluster.wait(timeout_s=420)
    finally:
        listener.close()
    for name, stats in final.items():
        assert stats["error"] is None, stats
        assert stats["published"] >= 35 and stats["gaps"] == 0, stats
        assert listener.counts[name] >= 30, listener.counts
        assert _stable(listener.track_ids[name]), listener.track_ids[name]


def test_streams_keep_publishing_when_a_replica_is_killed(ray_local, sample_clip):
    import ray

    from arsdk.cluster import Cluster

    config = _config(sample_clip, 60)
    listener = _Listener({c.name: c.publish for c in config.cameras})
    try:
        with Cluster(config) as cluster:
            deadline = time.monotonic() + 240
            while min(listener.counts.values()) < 10 and time.monotonic() < deadline:
                time.sleep(0.5)
            before = dict(listener.counts)
            replicas = [a for a in ray.util.list_named_actors(all_namespaces=True) if "SERVE_REPLICA" in a["name"]]
            assert len(replicas) == 2
            ray.kill(ray.get_actor(replicas[0]["name"], namespace=replicas[0]["namespace"]), no_restart=True)
            final = cluster.wait(timeout_s=420)
    finally:
        listener.close()
    for name, stats in final.items():
        assert stats["error"] is None, stats
        assert listener.counts[name] > before[name] + 10, (before, listener.counts)  # published after the kill
        assert stats["published"] + stats["gaps"] + stats["dropped"] >= 50, stats
        assert _stable(listener.track_ids[name]), listener.track_ids[name]  # the ids outlive the replica


def test_cameras_toml_is_checked(tmp_path):
    good = tmp_path / "cameras.toml"
    good.write_text('[estimator]\nreplicas = 3\n\n[[camera]]\nname = "door"\nsource = "clip.mp4"\n\n'
                    '[[camera]]\nname = "hall"\nsource = 0\npublish = "tcp://127.0.0.1:7001"\n')  # fmt: skip
    config = load_config(good)
    assert [c.name for c in config.cameras] == ["door", "hall"] and config.estimator.replicas == 3
    assert config.cameras[1].source == "0" and config.cameras[0].publish == "tcp://127.0.0.1:5601"
    for text, message in (('[[camera]]\nname = "a b"\nsource = "x"\n', "letters"),
                          ('[[camera]]\nname = "a"\nsource = "x"\npublish = "tcp://0.0.0.0:5000"\n', "reachable from other machines"),
                          ('[[camera]]\nname = "a"\nsource = "x"\ncolour = 1\n', "unknown keys"),
                          ('[estimator]\nkind = "densepose"\n[[camera]]\nname = "a"\nsource = "x"\n', "needs weights"),
                          ("[[camera]\n", "not valid TOML"), ("", "no \\[\\[camera\\]\\]")):  # fmt: skip
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(ConfigError, match=message):
            load_config(bad)
