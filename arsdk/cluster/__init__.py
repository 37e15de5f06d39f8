"""arsdk on a Ray cluster: many cameras, the estimator served by Ray Serve replicas (``arsdk cluster``).

Ray is optional: ``pip install 'arsdk[cluster]'``. Importing this package does not import Ray.
"""

from .config import CameraConfig, ClusterConfig, EstimatorServiceConfig, load_config
from .runner import Cluster, ray_available

__all__ = ["CameraConfig", "ClusterConfig", "EstimatorServiceConfig", "load_config", "Cluster", "ray_available"]
