"""Treatment and referral (转诊): what a visit leads to, whether treatment works, and the excess
risk of death when care comes late or not at all.

At a visit the facility treats what its skill allows (``attempts``: up to ``ATTEMPT_MARGIN``
above its skill, more where its payment makes keeping the patient pay, ``agents/payment.py``)
and refers up otherwise (a referral letter; the resident chooses again tomorrow). A case that
needs a bed is admitted (``agents/beds.py``); an outpatient's treatment resolves the episode
with ``success_prob``, falling as severity exceeds skill, or sends the resident to seek care
again. Trust in the tier that treated learns from the outcome (``learned``). An episode that
ends untreated, or was treated late, kills with ``excess_fatality`` (on top of the life table,
``agents/demography.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .episodes import Outcome, Stage
from .streams import Purpose, draw

ATTEMPT_MARGIN = 0.35  # a facility attempts a case up to this far above its skill
_OUTCOME, _FATALITY = int(Purpose.OUTCOME), int(Purpose.FATALITY)


@dataclass(frozen=True)
class CareParams:
    """Treatment success, trust learning and excess fatality (``facilities.*``, ``behaviour.*``, ``illness.*``)."""

    treat_success: float  # resolution probability when the facility is capable
    below_need_success: float  # ... when it treats far above its capability
    trust_learning_rate: float  # how far one outcome moves trust in the tier (0..1)
    untreated_fatality: tuple[float, ...]  # excess case fatality of an untreated episode, by severity
    delay_fatality_per_day: tuple[float, ...]  # added per day of delay before adequate care, by severity

    @classmethod
    def of(cls, s) -> CareParams:
        return cls(s.facilities.treat_success, s.facilities.below_need_success, s.behaviour.trust_learning_rate,
                   tuple(s.illness.untreated_fatality), tuple(s.illness.delay_fatality_per_day))


@njit(cache=True)
def attempts(skill: float, sev: int, keep: float = 0.0) -> bool:
    """Whether the facility treats rather than refers up. ``keep`` (provider response) widens the margin."""
    return skill + ATTEMPT_MARGIN + keep >= sev


@njit(cache=True)
def success_prob(skill: float, sev: int, below_need: float, capable: float) -> float:
    """Probability that treatment resolves the episode, falling from ``capable`` toward
    ``below_need`` (``FacilityParams.treat_success``/``below_need_success``) as severity exceeds skill."""
    return below_need + (capable - below_need) / (1.0 + np.exp(-8.0 * (skill - sev + 0.2)))


@njit(cache=True)
def excess_fatality(sev: int, delay_days: int, untreated: bool, untreated_fatality: np.ndarray,
                    delay_fatality_per_day: np.ndarray) -> float:
    """Probability that an episode kills beyond the background life table (``IllnessParams``'
    per-severity lists as arrays)."""
    p = untreated_fatality[sev] if untreated else 0.0
    return min(max(p + delay_fatality_per_day[sev] * delay_days, 0.0), 1.0)


def referral_tier(tier: np.ndarray) -> np.ndarray:
    """The tier a facility refers up to."""
    return np.minimum(tier + 1, 3)


@njit(cache=True)
def learned(trust: np.float32, ok: bool, rate: float) -> np.float32:
    """Trust in the tier that treated, moved toward the outcome (1 resolved, 0 not) by ``rate``,
    in float32 as stored."""
    return trust + np.float32(rate) * (np.float32(ok) - trust)


REFER, ADMIT, OUTPATIENT = 0, 1, 2


@njit(cache=True)
def triaged(skill, tier, keep, sev, needs_bed, treated_day, day):
    """What a visit at a facility of ``skill`` and ``tier`` leads to: ``REFER`` up (beyond what it
    attempts with the tier's ``keep`` margin, or a bed needed at a village clinic), else
    ``ADMIT`` or ``OUTPATIENT`` treatment; and the episode's first day of adequate care
    (``treated_day``), which becomes ``day`` where the facility could treat the case without
    keeping it."""
    if not attempts(skill, sev, keep) or (needs_bed and tier == 0):
        return REFER, treated_day
    if attempts(skill, sev, 0.0) and treated_day < 0:
        treated_day = day
    return (ADMIT if needs_bed else OUTPATIENT), treated_day


@njit(cache=True)
def triage(eps, fid, severity, needs_bed, treated_day, skill, tier, keep, day):
    """``triaged`` for each visit (``treated_day`` in place)."""
    out = np.empty(len(eps), dtype=np.int8)
    for i in range(len(eps)):
        e, f = eps[i], fid[i]
        t = tier[f]
        out[i], treated_day[e] = triaged(skill[f], t, keep[t], severity[e], needs_bed[e], treated_day[e], day)
    return out


@njit(cache=True)
def treatment_works(key, person, ep_key, step, skill, sev, below_need, capable):
    """Whether treatment at a facility of ``skill`` resolves an episode: its OUTCOME draw for
    this step against ``success_prob``."""
    return draw(key, _OUTCOME, person, np.int64(ep_key) * 8 + step) < success_prob(skill, sev, below_need, capable)


@njit(cache=True)
def treat(key, eps, fid, tier, person, ep_key, steps, severity, resident, skill, below_need, capable, trust, rate):
    """Treatment at facility ``fid``: whether it resolves each episode (``treatment_works``), and
    the resident's trust in ``tier`` learning from that (``learned``, in place; one episode per
    resident). The episodes resolved and the rest, each in the order given. Episode fields are
    read in place by id."""
    n = len(eps)
    ok = np.empty(n, dtype=np.bool_)
    for i in range(n):
        e = eps[i]
        ok[i] = treatment_works(key, person[e], ep_key[e], steps[e], skill[fid[i]], severity[e], below_need, capable)
    # a loop of its own: with nothing to compute between them, the reads of residents' trust
    # (cache misses) overlap; inside the loop above they waited on the arithmetic
    resolved = np.empty(n, dtype=np.int64)
    again = np.empty(n, dtype=np.int64)
    n_resolved = n_again = 0
    for i in range(n):
        e = eps[i]
        row, t = resident[e], tier[i]
        trust[row, t] = learned(trust[row, t], ok[i], rate)
        if ok[i]:
            resolved[n_resolved] = e
            n_resolved += 1
        else:
            again[n_again] = e
            n_again += 1
    return resolved[:n_resolved], again[:n_again]


@njit(cache=True)
def killed(key, person, ep_key, sev, start, treated_day, day, untreated, untreated_fatality, delay_fatality_per_day):
    """Whether a closing episode kills (``excess_fatality`` against its FATALITY draw): untreated,
    from the delay since onset; treated, from the delay before adequate care. An episode that
    carries no risk draws nothing."""
    delay = day - start if untreated else max(treated_day - start, 0)
    p = excess_fatality(sev, delay, untreated, untreated_fatality, delay_fatality_per_day)
    return p > 0 and draw(key, _FATALITY, person, ep_key) < p


@njit(cache=True)
def dies(key, eps, person, ep_key, severity, start, treated_day, day, untreated, untreated_fatality,
         delay_fatality_per_day):
    """``killed`` for each closing episode."""
    out = np.zeros(len(eps), dtype=np.bool_)
    for i in range(len(eps)):
        e = eps[i]
        out[i] = killed(key, person[e], ep_key[e], severity[e], start[e], treated_day[e], day, untreated,
                        untreated_fatality, delay_fatality_per_day)
    return out


def care_tables(p: CareParams, response) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The extra margin before referring up by tier (the provider ``response``,
    ``agents/payment.py``) and ``killed``'s fatality parameters."""
    keep = np.array([r.keep for r in response])
    return keep, (np.asarray(p.untreated_fatality, dtype=float), np.asarray(p.delay_fatality_per_day, dtype=float))


class Treatment:
    """The day's visits of a model's episodes: triage, referral, treatment and how episodes end."""

    def __init__(self, m):
        self.m = m

    def derive(self, s) -> None:
        self.params = p = CareParams.of(s)
        self.keep, self.fatality = care_tables(p, self.m.payment.response)

    def visit(self, eps: np.ndarray) -> None:
        """Billed visits; each facility refers up, admits or treats as an outpatient."""
        m = self.m
        e, f = m.ep, m.fac
        fid = e.facility[eps]
        m.billing.bill_visits(eps, fid)
        then = triage(eps, fid, e.severity, e.needs_bed, e.treated_day, f.skill, f.tier, self.keep, m.day)
        refer = then == REFER
        m.today.ladder_visits += int(np.count_nonzero(refer & (f.tier[fid] <= 1)))
        self.refer_up(eps[refer], f.tier[fid[refer]])
        admit = then == ADMIT
        m.beds.admit(eps[admit], fid[admit])
        out = then == OUTPATIENT
        resolved, again = self.treat(eps[out], fid[out], f.tier[fid[out]])
        self.close(resolved, False, Outcome.RESOLVED)
        m.schedule(again, Stage.CHOOSE, m.day + 2)  # not better: seek care again

    def refer_up(self, eps: np.ndarray, tier: np.ndarray) -> None:
        """A referral letter to the next tier up; the resident chooses again tomorrow."""
        if len(eps) == 0:
            return
        m, e = self.m, self.m.ep
        e.referred_tier[eps] = referral_tier(tier)
        e.has_referral[eps] = True
        if m.events.wanted("referral"):
            m.events.emit("referral", day=m.day, eps=eps, facility=e.facility[eps], tier=e.referred_tier[eps])
        m.today.referrals_up += len(eps)
        m.schedule(eps, Stage.CHOOSE, m.day + 1)

    def treat(self, eps: np.ndarray, fid: np.ndarray, tier: np.ndarray,
              skill: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Treatment at ``fid`` (at its ``skill``, by default the facility's; inpatients' is less
        its ward's crowding, ``agents/beds.py``), trust in ``tier`` learning from it: the episodes
        resolved and the rest."""
        m, e, p = self.m, self.m.ep, self.params
        return treat(m.streams.key, eps, fid, tier, e.person, e.key, e.steps, e.severity, e.resident,
                     m.fac.effective_skill if skill is None else skill, p.below_need_success, p.treat_success, m.res.trust,
                     p.trust_learning_rate)

    def close(self, eps: np.ndarray, untreated: bool, outcome) -> None:
        """Episodes end with ``outcome`` unless the excess risk of no or delayed care kills."""
        if len(eps) == 0:
            return
        m, e = self.m, self.m.ep
        if untreated:
            m.today.untreated += np.bincount(e.severity[eps], minlength=4)
        kills = dies(m.streams.key, eps, e.person, e.key, e.severity, e.start, e.treated_day, m.day, untreated, *self.fatality)
        if not kills.any():
            m.end(eps, outcome)
            return
        outcome = np.asarray(outcome)
        m.end(eps[~kills], outcome if outcome.ndim == 0 else outcome[~kills])
        m.demography.kill(e.resident[eps[kills]], excess=True)  # closes their episodes as DIED
