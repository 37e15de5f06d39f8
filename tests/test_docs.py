"""The documentation site with its API reference builds with warnings as errors (what `make docs` runs)."""

import subprocess
import sys

from tests.conftest import REPO


def test_the_docs_site_builds_strictly_with_the_api_reference(tmp_path):
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    api = (site / "api" / "types" / "index.html").read_text()
    for name in ("Person", "PersonIUV", "Landmarks", "Body"):
        assert f'id="arsdk.types.{name}"' in api, name
    options = (site / "api" / "estimators" / "index.html").read_text()
    assert "PoseEstimatorOptions" in options and "use_detector" in options
    assert "FrameSource" in (site / "api" / "protocols" / "index.html").read_text()
