"""Safe writing and checked reading of result files.

Writes go to a temporary name in the same folder and are renamed into place, so a crash or
Ctrl-C never leaves a half-written file under the real name. Reads check that a file is what it
claims to be and fail with a one-line error naming it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class ResultsError(ValueError):
    """A results file that is missing, truncated or corrupt."""


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` then rename ``tmp`` to ``path``; on error the temporary file is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; results are ordinary files
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | Path, obj) -> Path:
    """Strict JSON (NaN, e.g. a cost per stay where there were no stays, becomes null)."""
    text = json.dumps(_finite(obj), indent=2, default=_jsonable, allow_nan=False) + "\n"
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def _finite(x):
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _jsonable(x):
    if hasattr(x, "item"):
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


SCHEMA_KEY = b"reformsim.schema_sha256"


def _schema_digest(schema: pa.Schema) -> bytes:
    """Digest of column names, types and the pandas metadata: parquet checksums pages, not the footer."""
    meta = (schema.metadata or {}).get(b"pandas", b"")
    text = json.dumps([[f.name, str(f.type)] for f in schema]).encode() + meta
    return hashlib.sha256(text).hexdigest().encode()


def write_parquet(path: str | Path, table: pd.DataFrame | pa.Table) -> Path:
    t = table if isinstance(table, pa.Table) else pa.Table.from_pandas(table, preserve_index=False)
    t = t.replace_schema_metadata({**(t.schema.metadata or {}), SCHEMA_KEY: _schema_digest(t.schema)})
    # page checksums let read_parquet tell a flipped bit from data (without them ~80% of single
    # byte corruptions read back as silently different numbers)
    return atomic_write(path, lambda p: pq.write_table(t, p, compression="zstd", write_page_checksum=True))


def read_parquet(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise ResultsError(f"results file not found: {path}")
    try:
        table = pq.read_table(path, page_checksum_verification=True)
        stored = (table.schema.metadata or {}).get(SCHEMA_KEY)
        if stored is not None and stored != _schema_digest(table.schema):
            raise ResultsError(f"results file {path} is corrupt (its column schema fails its checksum)")
        return table.to_pandas()
    # corrupt footers also surface as JSON/Unicode errors from the pandas metadata (ValueErrors)
    except (pa.ArrowException, OSError, ValueError) as exc:
        if isinstance(exc, ResultsError):
            raise
        raise ResultsError(f"results file {path} is truncated or corrupt ({str(exc).splitlines()[0]})") from None


def read_json(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise ResultsError(f"results file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"results file {path} is truncated or corrupt ({exc})") from None
    except IsADirectoryError:
        raise ResultsError(f"results file {path} is a directory") from None
    if not isinstance(data, dict):  # every results JSON is an object; anything else is not ours
        raise ResultsError(f"results file {path} is not a JSON object")
    return data
