"""The vendored crypto bundle is exactly what `make vendor` builds from the lock file."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.claims.test_vendor_bundle_reproducible import bundle_differences, read_bundle, rebuild
from tests.support.processes import ROOT

pytestmark = pytest.mark.integration
VENDOR = ROOT / "static" / "vendor"


def test_vendored_files_name_the_locked_versions():
    """Each bundle's file name carries the exact versions package-lock.json pins."""
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    names = {path.name for path in VENDOR.glob("*.js")}
    noble = "_".join(
        f"noble-{name}-{lock[f'node_modules/@noble/{name}']['version']}"
        for name in ("ciphers", "curves", "hashes")
    )
    qr = f"qrcode-generator-{lock['node_modules/qrcode-generator']['version']}"
    confusables = f"unhomoglyph-{lock['node_modules/unhomoglyph']['version']}"
    assert names == {f"{noble}.js", f"{qr}.js", f"{confusables}.js"}


@pytest.mark.skipif(
    not shutil.which("node") or not shutil.which("npm"), reason="needs node and npm"
)
def test_a_fresh_build_reproduces_the_committed_bundle_byte_for_byte(tmp_path):
    """npm ci + the build script, in a clean directory, give the committed bytes.

    The evidence check vendor_bundle_reproducible rebuilds with the tree's own
    node_modules; this test starts from nothing but the lock file. Both build
    and compare with the same functions.
    """
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tools" / "vendor", tmp_path / "tools" / "vendor")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=tmp_path, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    out = tmp_path / "out"
    assert rebuild(tmp_path, out).returncode == 0
    assert bundle_differences(read_bundle(VENDOR), read_bundle(out)) == []
