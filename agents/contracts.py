"""Family-doctor contracts (家庭医生签约服务).

Each resident's contract comes from a draw of its own (CONTRACT, keyed by person), compared
with the rate for its group: ``contract_rate_key`` for key populations (65 and over, or with a
chronic condition) and whatever rate for the others makes the overall ``contract_rate`` come
out (seed 003 reports both: 39.85% overall, 73.08% of key populations). Raising a rate only adds
contracts (common random numbers). Contracts run for a year (签约一年) and are renewed at each
year's start, when residents who turned 65 or fell chronically ill join the key population; a
change of the contract rates takes effect on its day. No other lever touches them. A contracted
resident gets the primary-care bonus in the choice (``agents/choice.py``) and priority for
reserved slots and beds; a contract ends at death.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .streams import Purpose


@dataclass(frozen=True)
class ContractParams:
    """``policy.contract_rate`` and ``policy.contract_rate_key``."""

    contract_rate: float  # share of all residents contracted
    contract_rate_key: float  # share of key populations (65+ or chronic) contracted

    @classmethod
    def of(cls, s) -> ContractParams:
        return cls(s.policy.contract_rate, s.policy.contract_rate_key)


def contracted(res, streams, rate: float, rate_key: float, day: int) -> np.ndarray:
    """Family-doctor contracts of ``res``'s rows: ``rate`` of all residents, ``rate_key`` of key
    populations (65+ or chronic), from each resident's fixed draw (capped to [0, 1])."""
    alive = res.alive[: res.n]
    key = ((res.age(day) >= 65) | (res.chronic[: res.n] > 0)) & alive
    key_share = key.sum() / max(alive.sum(), 1)
    rate_other = np.clip((rate - key_share * rate_key) / max(1 - key_share, 1e-9), 0.0, 1.0)
    u = streams.uniform(Purpose.CONTRACT, res.uid[: res.n])
    return (u < np.where(key, rate_key, rate_other)) & alive


class Contracts:
    """The family-doctor contracts of a model's residents, and their kept count."""

    def __init__(self, m):
        self.m = m
        self.count = 0
        self.params: ContractParams | None = None

    def derive(self, s) -> None:
        """New contract rates take effect today; other levers leave contracts as they are."""
        old, self.params = self.params, ContractParams.of(s)
        if self.params != old:
            self.renew()

    def renew(self) -> None:
        """Every living resident's contract, by its own draw against its group's rate today."""
        m, r, p = self.m, self.m.res, self.params
        r.contract[: r.n] = contracted(r, m.streams, p.contract_rate, p.contract_rate_key, m.day)
        # kept count, for the daily contract rate (checked against the flags in tests)
        self.count = int(np.count_nonzero(r.contract[: r.n]))

    def end(self, ids: np.ndarray) -> None:
        """The contracts of residents who died end."""
        r = self.m.res
        self.count -= int(np.count_nonzero(r.contract[ids]))
        r.contract[ids] = False
