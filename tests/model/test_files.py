from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from model.files import file_sha256


def test_digest_of_a_real_file_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    data = bytes(range(256)) * 9000  # > 2 MiB: several chunks and a partial last one
    path.write_bytes(data)
    digest = file_sha256(path)
    assert digest == hashlib.sha256(data).hexdigest()
    assert len(digest) == 64
    assert file_sha256(str(path)) == digest


def test_digest_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert file_sha256(path) == hashlib.sha256(b"").hexdigest()


def test_importing_it_does_not_import_torch() -> None:
    code = "import sys, model.files; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
