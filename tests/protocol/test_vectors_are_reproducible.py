"""The committed vectors are exactly what the generator writes from its fixed inputs."""

from __future__ import annotations

from tests.protocol.vectors import VECTORS
from tests.vectors.generate import write


def test_regenerating_gives_identical_bytes(tmp_path):
    """Running the generator again reproduces every committed file byte for byte."""
    written = write(tmp_path)
    assert {path.name for path in written} == {path.name for path in VECTORS.glob("*.json")}
    for path in written:
        assert path.read_bytes() == (VECTORS / path.name).read_bytes(), path.name
