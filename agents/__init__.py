"""reformsim.agents: one module per mechanism of the county health system, with its parameters,
its rules, its compiled daily stage and what it recomputes when a lever changes (see
docs/model.md for the map); plus the residents, facilities, episodes and random streams they act on.

The rules are compiled by Numba and cached beside their sources. Numba keys a cached function
on its own file only, so a kernel that inlines a rule from another module would keep running
the old rule after the rule is edited. The caches of all compiled modules are therefore dropped
together whenever any of their sources changes.
"""

import hashlib
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _drop_stale_compiled_caches(here: Path = _HERE) -> None:
    sources = sorted(here.glob("*.py"))
    digest = hashlib.sha1(b"".join(p.read_bytes() for p in sources if p.exists())).hexdigest()
    stamp = here / "__pycache__" / "compiled-sources.sha1"
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    try:
        for cache in {p.parent / "__pycache__" for p in sources}:
            for f in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
                f.unlink(missing_ok=True)
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:  # a read-only install: Numba caches elsewhere, and installed sources do not change
        pass


_drop_stale_compiled_caches()
