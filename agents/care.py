"""Treatment and referral (转诊): what a visit leads to, whether treatment works, and the excess
risk of death when care comes late or not at all.

At a visit the facility attempts the case with ``attempt_probability``, a smooth function of its
skill against the case's severity (even odds ``facilities.attempt_margin`` above its skill), shifted
by its ``keep`` response (more where keeping the patient pays, less where it does not;
``agents/response.py``), and refers up otherwise (a referral letter; the resident chooses again
tomorrow). Whether the case is admitted is the facility's call too: serious and complex need is
clinical, a common case's need of a bed is scaled by the facility's admission response
(``illness.needs_admission`` on the episode's own ADMIT draw). An admitted case goes to a bed
(``agents/beds.py``); an outpatient's treatment resolves the episode with ``success_prob``,
falling as severity exceeds skill, or sends the resident to seek care again, and a resolved one
comes back for a return visit the doctor asks for (``followup_probability``). At discharge the
stay works with ``success_prob`` shifted by the facility's discharge readiness; a stay that
does not work brings the resident back (a readmission if within
``facilities.readmission_window_days``, 30). Trust in the tier that treated learns from the
outcome (``learned``). An episode that ends untreated, or was
treated late, kills with ``excess_fatality`` (on top of the life table, ``agents/demography.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .arrays import by_day
from .episodes import Outcome, Stage
from .illness import needs_admission
from .streams import Purpose, draw

_OUTCOME, _FATALITY, _ATTEMPT, _FOLLOWUP, _ADMIT = (int(Purpose.OUTCOME), int(Purpose.FATALITY), int(Purpose.ATTEMPT),
                                                    int(Purpose.FOLLOWUP), int(Purpose.ADMIT))


@dataclass(frozen=True)
class CareParams:
    """Treatment success, trust learning and excess fatality (``facilities.*``, ``behaviour.*``, ``illness.*``)."""

    treat_success: float  # resolution probability when the facility is capable
    below_need_success: float  # ... when it treats far above its capability
    trust_learning_rate: float  # how far one outcome moves trust in the tier (0..1)
    untreated_fatality: tuple[float, ...]  # excess case fatality of an untreated episode, by severity
    delay_fatality_per_day: tuple[float, ...]  # added per day of delay before adequate care, by severity
    attempt_margin: float  # skill units above its skill at which a facility attempts a case with even odds
    attempt_slope: float  # width (skill units) of the attempt probability's fall
    success_slope: float  # slope (per skill unit) of the success probability's fall
    success_offset: float  # skill - severity at which success is halfway, negated
    admission_need: tuple[float, ...]  # probability an episode needs a bed, by severity
    followup_share: tuple[float, ...]  # outpatient treatments with a return visit at the reference, by tier
    readmission_window_days: int  # a stay within this many days of the episode's last discharge is a readmission

    @classmethod
    def of(cls, s) -> CareParams:
        f = s.facilities
        return cls(f.treat_success, f.below_need_success, s.behaviour.trust_learning_rate,
                   tuple(s.illness.untreated_fatality), tuple(s.illness.delay_fatality_per_day), f.attempt_margin,
                   f.attempt_slope, f.success_slope, f.success_offset, tuple(s.illness.admission_need),
                   tuple(f.followup_share), f.readmission_window_days)

    @property
    def attempt(self) -> tuple[float, float]:
        """``attempt_probability``'s parameters: (margin, slope)."""
        return (self.attempt_margin, self.attempt_slope)

    @property
    def success(self) -> tuple[float, float, float, float]:
        """``success_prob``'s parameters: (below need, capable, slope, offset)."""
        return (self.below_need_success, self.treat_success, self.success_slope, self.success_offset)


@njit(cache=True)
def attempt_probability(skill: float, severity: int, shift: float, attempt) -> float:
    """Probability that a facility of ``skill`` attempts a case of ``severity`` rather than
    referring it up: a logistic in skill + margin + ``shift`` - severity of width slope
    (``attempt`` = (``FacilityParams.attempt_margin``, ``attempt_slope``)). ``shift`` is the
    provider's keep response (``agents/response.py``): no threshold, so no lever moves care by a jump."""
    margin, slope = attempt
    return 1.0 / (1.0 + np.exp(-(skill + margin + shift - severity) / slope))


@njit(cache=True)
def success_prob(skill: float, sev: int, success, shift: float = 0.0) -> float:
    """Probability that treatment resolves the episode, falling from capable toward below need
    as severity exceeds skill, a logistic of the given slope and offset (``success`` =
    ``CareParams.success``: ``FacilityParams.below_need_success``, ``treat_success``,
    ``success_slope``, ``success_offset``); ``shift`` moves its log-odds (a stay's discharge
    readiness, ``agents/response.py``)."""
    below_need, capable, slope, offset = success
    p = below_need + (capable - below_need) / (1.0 + np.exp(-slope * (skill - sev + offset)))
    if shift == 0.0:
        return p
    return 1.0 / (1.0 + (1.0 - p) / p * np.exp(-shift))


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
def triaged(key, person, ep_key, step, skill, tier, keep, admission, admission_serious, sev, needs_bed, treated_day, day, attempt,
            admission_need):
    """What a visit at a facility of ``skill`` and ``tier`` leads to, by the episode's ATTEMPT draw
    for this step: ``REFER`` up (beyond what it attempts, ``attempt_probability`` with its ``keep``
    shift, or a bed needed at a village clinic), else ``ADMIT`` (the facility's call on the
    episode's ADMIT draw, ``illness.needs_admission`` with its ``admission`` responses) or
    ``OUTPATIENT`` treatment; and the episode's first day of adequate care (``treated_day``), which
    becomes ``day`` where the facility would have attempted the case without keeping it."""
    u = draw(key, _ATTEMPT, person, np.int64(ep_key) * 8 + step)
    kept = attempt_probability(skill, sev, keep, attempt)
    if u >= kept or (needs_bed and tier == 0):
        return REFER, treated_day
    # without a keep response (most facilities) the probability without it is the one just computed
    if treated_day < 0 and u < (kept if keep == 0.0 else attempt_probability(skill, sev, 0.0, attempt)):
        treated_day = day
    admit = tier >= 1 and needs_admission(draw(key, _ADMIT, person, ep_key), sev, admission_need, admission,
                                          admission_serious)
    return (ADMIT if admit else OUTPATIENT), treated_day


@njit(cache=True)
def triage(key, eps, fid, person, ep_key, steps, severity, needs_bed, treated_day, skill, tier, keep, admission,
           admission_serious, day, attempt, admission_need):
    """``triaged`` for each visit (``treated_day`` in place); ``keep`` and the ``admission`` responses by facility."""
    out = np.empty(len(eps), dtype=np.int8)
    for i in range(len(eps)):
        e, f = eps[i], fid[i]
        out[i], treated_day[e] = triaged(key, person[e], ep_key[e], steps[e], skill[f], tier[f], keep[f], admission[f],
                                         admission_serious[f], severity[e], needs_bed[e], treated_day[e], day, attempt,
                                         admission_need)
    return out


@njit(cache=True)
def followup_probability(share, response):
    """Probability that a resolved outpatient treatment comes with a return visit: the tier's
    reference ``share`` times the facility's follow-up response, at most 1."""
    return min(share * response, 1.0)


@njit(cache=True)
def returns(key, person, ep_key, step, share, response):
    """Whether a resolved outpatient treatment comes with a return visit: its FOLLOWUP draw for this
    step against ``followup_probability``."""
    return draw(key, _FOLLOWUP, person, np.int64(ep_key) * 8 + step) < followup_probability(share, response)


@njit(cache=True)
def followups(key, eps, fid, person, ep_key, steps, share, response):
    """The resolved outpatient treatments (at ``fid``) that come with a return visit (``returns``)."""
    keep = np.empty(len(eps), dtype=np.bool_)
    for i in range(len(eps)):
        e, f = eps[i], fid[i]
        keep[i] = returns(key, person[e], ep_key[e], steps[e], share[f], response[f])
    return keep


@njit(cache=True)
def readmitted(admit_day, discharged_day, window):
    """Whether a stay admitted on ``admit_day`` came within ``window`` days
    (``facilities.readmission_window_days``) of the episode's last discharge."""
    return discharged_day >= 0 and admit_day - discharged_day <= window


@njit(cache=True)
def readmissions(eps, admit_day, discharged_day, window):
    """How many of the stays ``eps`` were ``readmitted`` within ``window`` days."""
    n = 0
    for e in eps:
        n += readmitted(admit_day[e], discharged_day[e], window)
    return n


@njit(cache=True)
def treatment_works(key, person, ep_key, step, skill, sev, success, shift=0.0):
    """Whether treatment at a facility of ``skill`` resolves an episode: its OUTCOME draw for
    this step against ``success_prob`` (``shift``: the facility's discharge readiness at a discharge)."""
    return draw(key, _OUTCOME, person, np.int64(ep_key) * 8 + step) < success_prob(skill, sev, success, shift)


@njit(cache=True)
def treat(key, eps, fid, tier, person, ep_key, steps, severity, resident, skill, success, trust, rate, shift):
    """Treatment at facility ``fid``: whether it resolves each episode (``treatment_works`` with the
    facility's ``shift``, an array by facility), and the resident's trust in ``tier`` learning from
    that (``learned``, in place; one episode per resident). The episodes resolved and the rest,
    each in the order given. Episode fields are read in place by id."""
    n = len(eps)
    ok = np.empty(n, dtype=np.bool_)
    for i in range(n):
        e, f = eps[i], fid[i]
        ok[i] = treatment_works(key, person[e], ep_key[e], steps[e], skill[f], severity[e], success, shift[f])
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


def care_tables(p: CareParams) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The need of a bed by severity, the reference follow-up share by tier and ``killed``'s
    fatality parameters, as arrays."""
    return (np.asarray(p.admission_need, dtype=float), np.asarray(p.followup_share, dtype=float),
            (np.asarray(p.untreated_fatality, dtype=float), np.asarray(p.delay_fatality_per_day, dtype=float)))


class Treatment:
    """The day's visits of a model's episodes: triage, referral, treatment and how episodes end."""

    def __init__(self, m):
        self.m = m

    def derive(self, s) -> None:
        self.params = CareParams.of(s)
        self.admission_need, self.followup_share, self.fatality = care_tables(self.params)
        self.no_shift = np.zeros(len(self.m.fac.tier))

    def visit(self, eps: np.ndarray) -> None:
        """Billed visits; each facility refers up, admits or treats as an outpatient."""
        m = self.m
        e, f, r = m.ep, m.fac, m.payment.responses
        fid = e.facility[eps]
        m.billing.bill_visits(eps, fid)
        then = triage(m.streams.key, eps, fid, e.person, e.key, e.steps, e.severity, e.needs_bed, e.treated_day, f.skill,
                      f.tier, r.keep, r.admission, r.admission_serious, m.day, self.params.attempt, self.admission_need)
        # the visits grouped by what they lead to, each group in visit order: one pass, not a mask and
        # its selections per group
        eps, at = by_day(eps, then, OUTPATIENT + 1)
        fid = by_day(fid, then, OUTPATIENT + 1)[0]
        tier = f.tier[fid]
        refer, admit, out = (slice(a, b) for a, b in zip(at[:-1].tolist(), at[1:].tolist(), strict=True))
        m.today.ladder_visits += int(np.count_nonzero(tier[refer] <= 1))
        self.refer_up(eps[refer], tier[refer])
        m.beds.admit(eps[admit], fid[admit])
        resolved, again = self.treat(eps[out], fid[out], tier[out], self.no_shift)
        self.follow_up(resolved)
        self.close(resolved, False, Outcome.RESOLVED)
        m.schedule(again, Stage.CHOOSE, m.day + 2)  # not better: seek care again

    def follow_up(self, eps: np.ndarray) -> None:
        """Resolved outpatients the doctor asks back come for a return visit, billed (and queued) as a revisit."""
        m = self.m
        e = m.ep
        fid = e.facility[eps]
        back = followups(m.streams.key, eps, fid, e.person, e.key, e.steps, self.followup_share[m.fac.tier],
                         m.payment.responses.followup)
        if back.any():
            m.billing.bill_visits(eps[back], fid[back])
            m.fac.arrivals += np.bincount(fid[back], minlength=len(m.fac.tier))

    def discharged(self, eps: np.ndarray, fid: np.ndarray, tier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A stay's outcome at discharge (``treat`` at the ward's inpatient skill, less its crowding,
        ``agents/beds.py``, with the admitting facility's discharge readiness); readmissions counted
        and the discharge noted: the resolved and the rest."""
        m, e = self.m, self.m.ep
        m.today.readmissions += readmissions(eps, e.admit_day, e.discharged_day, self.params.readmission_window_days)
        e.discharged_day[eps] = m.day
        e.discharged_at[eps] = fid
        return self.treat(eps, fid, tier, m.payment.responses.readiness, m.beds.inpatient_skill)

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

    def treat(self, eps: np.ndarray, fid: np.ndarray, tier: np.ndarray, shift: np.ndarray,
              skill: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Treatment at ``fid`` (at its ``skill``, by default the facility's effective skill;
        inpatients' is less its ward's crowding, ``agents/beds.py``; log-odds ``shift`` by facility),
        trust in ``tier`` learning from it: the episodes resolved and the rest."""
        m, e, p = self.m, self.m.ep, self.params
        return treat(m.streams.key, eps, fid, tier, e.person, e.key, e.steps, e.severity, e.resident,
                     m.fac.effective_skill if skill is None else skill, p.success, m.res.trust, p.trust_learning_rate,
                     shift)

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
