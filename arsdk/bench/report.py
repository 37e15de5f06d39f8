"""The benchmark report: the targets with their measured values, the live pipeline's tables, and plots
(matplotlib, written beside the Markdown)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .live import STAGES

__all__ = ["Target", "targets_of", "live_markdown", "targets_markdown", "plot_stage_breakdown", "plot_fps"]


@dataclass(frozen=True, slots=True)
class Target:
    """One speed target of the live pipeline, as measured in this run."""

    name: str
    value: float
    bound: float
    higher_is_better: bool
    detail: str

    @property
    def met(self) -> bool:
        """Whether the measured value is on the right side of the bound."""
        return self.value >= self.bound if self.higher_is_better else self.value <= self.bound

    def as_dict(self) -> dict:
        """JSON form."""
        return {"name": self.name, "value": self.value, "bound": self.bound, "higher_is_better": self.higher_is_better,
                "met": self.met, "detail": self.detail}  # fmt: skip


def targets_of(results: dict) -> list[Target]:
    """The issue's targets from a run's results (those whose measurements ran)."""
    out = []
    live = results.get("live", {}).get("clips", {})
    for name, clip in live.items():
        ratio = clip["end_to_end"]["fps"] / clip["estimator_alone"]["fps"]
        out.append(Target(f"end-to-end fps / estimator-alone fps, {name}", ratio, 0.85, True,
                          f"{clip['end_to_end']['fps']:.1f} vs {clip['estimator_alone']['fps']:.1f} fps"))  # fmt: skip
    for name, clip in live.items():
        source = clip.get("live_source")
        if source and source.get("p99_over_p50") is not None:
            ms = source["estimator_ms"]
            out.append(Target(f"estimator latency p99 / p50, {name} as a live camera", source["p99_over_p50"], 2.0, False,
                              f"p50 {ms['p50']:.0f} ms, p99 {ms['p99']:.0f} ms over {source['frames']} frames "
                              f"({source['dropped']} dropped)"))  # fmt: skip
    versus = results.get("live", {}).get("vs_mediapipe")
    if versus:
        out.append(Target("arsdk frame time / mp.solutions.pose frame time, 1 person", versus["ratio"], 1.5, False,
                          f"{versus['arsdk_ms']['mean']:.1f} vs {versus['mediapipe_ms']['mean']:.1f} ms per frame (mean)"))  # fmt: skip
    versus = results.get("live", {}).get("vs_mediapipe_default")
    if versus:
        out.append(Target("the same with the default options (up to 10 people, searching for new ones)", versus["ratio"],
                          2.0, False, f"{versus['arsdk_ms']['mean']:.1f} vs {versus['mediapipe_ms']['mean']:.1f} ms per "
                          "frame (mean)"))  # fmt: skip
    body = results.get("body")
    if body and body.get("median_body_iou") is not None:
        out.append(Target("fitted body silhouette IoU with the mask, median", float(body["median_body_iou"]), 0.75, True,
                          f"capsule stand-in {body['median_capsules_iou']:.2f}"))  # fmt: skip
        out.append(Target("body joints reprojection / person height, median", float(body["median_reprojection"]), 0.05, False,
                          "model landmarks against BlazePose's 2D landmarks"))  # fmt: skip
        if body.get("flicker_reduction") is not None:
            floor = body["flicker"]["body"].get("translation_floor")
            out.append(Target("part flicker reduction, body against capsules (following each person)",
                              float(body["flicker_reduction_following"]), 0.30, True,
                              f"same pixel: {body['flicker_reduction']:.2f} lower, where moving alone changes "
                              f"{floor:.2f} of the pixels"))  # fmt: skip
    transport = results.get("transport")
    if transport:
        ratio = transport["arsdk"]["throughput_fps"] / transport["imagezmq"]["throughput_fps"]
        out.append(Target("publisher throughput / imagezmq's, subscriber attached", ratio, 1.0, True,
                          f"{transport['arsdk']['throughput_fps']:.0f} vs {transport['imagezmq']['throughput_fps']:.0f} fps"))  # fmt: skip
        interval = transport["frame_interval_ms"]
        ours, theirs = transport["arsdk"]["slow_latency_ms"], transport["imagezmq"]["slow_latency_ms"]
        if ours:
            out.append(Target("slow-subscriber latency p99 / two frame intervals", ours["p99"] / (2 * interval), 1.0,
                              False, f"p99 {ours['p99']:.0f} ms (imagezmq {theirs.get('p99', float('nan')):.0f} ms); "
                              f"frame interval {interval:.0f} ms"))  # fmt: skip
    return out


def targets_markdown(targets: list[Target]) -> str:
    """The targets table."""
    rows = ["## Targets", "", "| target | measured | bound | met | detail |", "| --- | ---: | ---: | :---: | --- |"]
    for t in targets:
        bound = f"{'>=' if t.higher_is_better else '<='} {t.bound:g}"
        rows.append(f"| {t.name} | {t.value:.2f} | {bound} | {'yes' if t.met else '**no**'} | {t.detail} |")
    return "\n".join(rows + [""])


def _stage_means(stages_ms: dict, frames: int) -> dict[str, float]:
    """Milliseconds per frame of each stage, averaged over all frames (a stage that ran on some frames
    only, such as the proposals, counts zero on the others)."""
    out = {}
    for name in STAGES:
        stats = stages_ms.get(name)
        if stats:
            out[name] = stats["mean"] * stats.get("count", frames) / max(frames, 1)
    return out


_ROUNDS_NOTE = (" Each is run twice, in the order alone, end to end, end to end, alone, and its fps is the mean of its "
                "runs (each run's in the JSON: `rounds_fps`): a machine whose speed drifts during the run then slows "
                "both alike.")


def _alternated(live: dict) -> bool:
    return any(len(clip["end_to_end"].get("rounds_fps", ())) > 1 for clip in live["clips"].values())


def live_markdown(live: dict, plots: dict[str, str]) -> str:
    """Tables of the live pipeline: fps per clip, stage percentiles, MediaPipe comparison, memory."""
    lines = ["## Live pipeline at 640x480", "",
             "End to end: capture from a file, estimator (proposals, landmarks, dense IUV), tracker, `texture` and "
             "`labels` effects, JPEG q85 and ZeroMQ publishing to a subscriber on 127.0.0.1. The estimator alone "
             "runs on the same decoded frames from memory." + _ROUNDS_NOTE * _alternated(live), "",
             "| clip | people per frame | estimator alone fps | end-to-end fps | ratio | peak RSS MiB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name, clip in live["clips"].items():
        alone, e2e = clip["estimator_alone"], clip["end_to_end"]
        lines.append(f"| {name} | {e2e['people_mean']:.1f} | {alone['fps']:.1f} | {e2e['fps']:.1f} | "
                     f"{e2e['fps'] / alone['fps']:.2f} | {e2e['peak_rss_mb']:.0f} |")  # fmt: skip
    lines += ["", "Per-stage latency (milliseconds, over the frames where the stage ran; the proposals run every "
              "5 to 30 frames):", ""]  # fmt: skip
    for name, clip in live["clips"].items():
        stages = clip["end_to_end"]["stages_ms"]
        lines += [f"**{name}**", "", "| stage | runs | p50 | p90 | p99 | mean |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for stage in STAGES + ("estimator", "compositor", "sinks"):
            if stage in stages:
                s = stages[stage]
                lines.append(f"| {stage} | {s.get('count', '')} | {s['p50']:.1f} | {s['p90']:.1f} | {s['p99']:.1f} | {s['mean']:.1f} |")
        lines.append("")
    versus = live.get("vs_mediapipe")
    if versus:
        lines += ["### One person: arsdk beside MediaPipe's own pose", "",
                  "Same frames (the 1-person clip). arsdk: landmarks, segmentation mask, dense IUV and tracker, set up "
                  "for one person (`max_persons=1`, as `mp.solutions.pose` is single-person). MediaPipe: "
                  "`mp.solutions.pose.Pose(static_image_mode=False)`, landmarks only. The two take turns frame by frame; "
                  f"the first {versus.get('warm_up_frames', 0)} frames (model loading, first search) do not count.", "",
                  "| | p50 ms | p90 ms | p99 ms | mean ms |", "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for label, key in (("arsdk", "arsdk_ms"), ("mp.solutions.pose", "mediapipe_ms")):
            s = versus[key]
            lines.append(f"| {label} | {s['p50']:.1f} | {s['p90']:.1f} | {s['p99']:.1f} | {s['mean']:.1f} |")
        lines += ["", f"Ratio of means: {versus['ratio']:.2f}. MediaPipe found the person in "
                  f"{100 * versus['mediapipe_found']:.0f} % of the frames.", ""]  # fmt: skip
    for title, file in plots.items():
        lines += [f"![{title}]({file})", ""]
    return "\n".join(lines)


def plot_stage_breakdown(live: dict, path: Path) -> Path:
    """Stacked bars: per clip, milliseconds per frame spent in each stage (averaged over all frames)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(live["clips"])
    fig, ax = plt.subplots(figsize=(9.5, 4.5))
    left = np.zeros(len(names))
    colours = plt.get_cmap("tab10")
    for k, stage in enumerate(STAGES):
        values = np.array([_stage_means(live["clips"][n]["end_to_end"]["stages_ms"], live["clips"][n]["end_to_end"]["frames"]).get(stage, 0.0)
                           for n in names])  # fmt: skip
        if not values.any():
            continue
        ax.barh(names, values, left=left, label=stage.replace("estimator.", ""), color=colours(k % 10))
        left += values
    ax.set_xlabel("milliseconds per frame (summed over threads; stages overlap in time)")
    ax.set_title("Where a frame's time goes (640x480, 2 cores)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_fps(live: dict, path: Path) -> Path:
    """Frames per second against the mean number of people per frame."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clips = live["clips"]
    people = [clips[n]["end_to_end"]["people_mean"] for n in clips]
    order = np.argsort(people)
    names = [list(clips)[i] for i in order]
    x = [people[i] for i in order]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, [clips[n]["estimator_alone"]["fps"] for n in names], "o-", label="estimator alone")
    ax.plot(x, [clips[n]["end_to_end"]["fps"] for n in names], "s-", label="end to end (tracker, effects, publishing)")
    versus = live.get("vs_mediapipe")
    if versus:
        ax.plot([1.0], [1000.0 / versus["mediapipe_ms"]["mean"]], "^", label="mp.solutions.pose (1 person, no dense)")
        ax.plot([1.0], [1000.0 / versus["arsdk_ms"]["mean"]], "v", label="arsdk, max_persons=1")
    for xi, n in zip(x, names):
        ax.annotate(n, (xi, clips[n]["end_to_end"]["fps"]), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.set_xlabel("people per frame")
    ax.set_ylabel("frames per second")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("640x480 on this machine")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
