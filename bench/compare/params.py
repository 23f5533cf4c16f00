"""Benchmark parameters and the cache directory they name."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
DATA_ROOT = BENCH_DIR / "data"
RESULTS_DIR = BENCH_DIR / "results"
K = 10


@dataclass(frozen=True)
class Params:
    n: int = 1_000_000
    dim: int = 768
    rank: int = 64  # latent rank of the embedding-like data
    nq: int = 500  # held-out queries, each asked once per filter case
    files: int = 8
    row_groups: int = 4  # per file: several row groups let readers decode in parallel
    seed: int = 7

    @property
    def key(self) -> str:
        """Cache key: every parameter that changes the files or the ground truth."""
        return (
            f"n{self.n}_d{self.dim}_r{self.rank}_q{self.nq}_f{self.files}_g{self.row_groups}_s{self.seed}"
        )

    @property
    def data_dir(self) -> Path:
        return DATA_ROOT / self.key

    @property
    def import_dir(self) -> Path:
        """The Parquet prefix in Pinecone's import layout (one sub-directory per namespace)."""
        return self.data_dir / "import"

    @property
    def parquet_dir(self) -> Path:
        return self.import_dir / "__default__"

    @property
    def truth_path(self) -> Path:
        return self.data_dir / "truth.npz"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Params:
        return cls(**json.loads(text))
