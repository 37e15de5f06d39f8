"""The official detectron2 DensePose chart models (facts from detectron2's DENSEPOSE_IUV.md model zoo).

arsdk never downloads: ``arsdk weights list`` prints where each file lives, you fetch it yourself, and
``--weights FILE`` loads it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ZooModel", "MODEL_ZOO", "URL_PATTERN"]

URL_PATTERN = "https://dl.fbaipublicfiles.com/densepose/{config}/{model_id}/{file}"


@dataclass(frozen=True, slots=True)
class ZooModel:
    """One official checkpoint."""

    config: str
    model_id: int
    file: str
    box_ap: float
    gps_ap: float
    gpsm_ap: float

    @property
    def url(self) -> str:
        """Where detectron2's model zoo publishes the file."""
        return URL_PATTERN.format(config=self.config, model_id=self.model_id, file=self.file)


MODEL_ZOO: tuple[ZooModel, ...] = (
    ZooModel("densepose_rcnn_R_50_FPN_s1x_legacy", 164832157, "model_final_d366fa.pkl", 58.1, 52.1, 54.9),
    ZooModel("densepose_rcnn_R_101_FPN_s1x_legacy", 164832182, "model_final_10af0e.pkl", 59.5, 53.2, 56.0),
    ZooModel("densepose_rcnn_R_50_FPN_s1x", 165712039, "model_final_162be9.pkl", 61.2, 63.7, 65.3),
    ZooModel("densepose_rcnn_R_101_FPN_s1x", 165712084, "model_final_c6ab63.pkl", 62.3, 64.5, 66.2),
    ZooModel("densepose_rcnn_R_50_FPN_DL_s1x", 165712097, "model_final_0ed407.pkl", 61.1, 65.6, 66.7),
    ZooModel("densepose_rcnn_R_101_FPN_DL_s1x", 165712116, "model_final_844d15.pkl", 62.3, 66.3, 67.6),
)
