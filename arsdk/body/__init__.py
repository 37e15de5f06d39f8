"""A 3D human body for every person: the shipped body model, its fit to landmarks, and IUV from its surface.

* :mod:`.model`: the body asset (mesh, 17 rigid segments, skinning weights, shape directions, DensePose parts
  and charts per face), posed by linear blend skinning.
* :mod:`.fit`: camera, pose and proportions from a person's 2D and 3D landmarks.
* :mod:`.raster`: a NumPy z-buffer rasterizer.
* :mod:`.iuv`: per-pixel DensePose part and chart from the posed surface, reconciled with the mask.
"""

from .fit import BodyFitOptions, BodyFitState, camera_for, fit_body
from .iuv import BodyIUVOptions, BodyTracks, body_raster, iuv_from_raster
from .model import GIRTH_GROUPS, SEGMENT_NAMES, BodyModel, load_body_model
from .raster import Raster, rasterize

__all__ = [
    "BodyModel", "load_body_model", "SEGMENT_NAMES", "GIRTH_GROUPS",
    "BodyFitOptions", "BodyFitState", "camera_for", "fit_body",
    "Raster", "rasterize",
    "BodyIUVOptions", "BodyTracks", "body_raster", "iuv_from_raster",
]  # fmt: skip
