"""Illness onsets: when residents fall ill, how severely, and whether they need a bed.

Onsets are a Poisson process per resident at an age-band acute rate plus chronic follow-ups
(``episode_rates``), each varying over the year by its seasonal profile (``agents/seasons.py``:
winter's respiratory peak, a county's visitors). A year's onsets are drawn at its start in one
pass (``onset_counts``, ``onset_days``) and bucketed by day, so daily work follows the episodes due, not the
population. Draws are keyed by (resident, year, onset number), so onset times never depend on
a policy (common random numbers). A lever that changes the rates during a year redraws the rest
of it from the first day still to come (a Poisson process has no memory).

Each onset's severity (minor, common or chronic follow-up, serious, complex; ``severity``) and
need of a bed (``needs_admission``: the clinical need; a facility scales the discretionary part
at the visit, ``agents/care.py``) come from its KIND, SEVERITY and ADMIT draws. The
consortium's prevention effort (``agents/response.py``) and chronic-disease management enter
here. An onset while an episode is open merges into it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .arrays import by_day, guided_search, scatter, search_guide
from .episodes import Stage
from .population import DIABETES, HYPERTENSION, age_on
from .seasons import SeasonParams, season_weights
from .streams import Purpose, draw

AGE_BANDS = np.array([0, 5, 15, 45, 65])  # acute_rate bands
MINOR, COMMON, SERIOUS, COMPLEX = 0, 1, 2, 3
YEAR = 365
_KIND, _SEVERITY, _ADMIT, _ONSET = int(Purpose.KIND), int(Purpose.SEVERITY), int(Purpose.ADMIT), int(Purpose.ONSET)


@njit(cache=True, inline="always")
def is_emergency(sev) -> bool:
    """A serious or complex episode is an emergency: seen the day it comes, behind no outpatient
    queue (急诊, ``choice.booking``) unless it is referred to the tertiary hospital (``choice.seen_at_once``), and admitted to any bed, extra beds included, without a
    waiting list (``beds.admission``)."""
    return sev >= SERIOUS


@dataclass(frozen=True)
class IllnessParams:
    """The scenario's ``illness.*`` fields and the prevention effort that lowers complications."""

    acute_rate: tuple[float, ...]  # acute episodes per person-year by age band (AGE_BANDS)
    hypertension_followups: float  # follow-up episodes per year of a resident with hypertension
    diabetes_followups: float  # ... with diabetes
    incidence_scale: float  # multiplies every rate
    severity_young: tuple[float, ...]  # acute severity mix by age group (<15, 15-59, 60+)
    severity_middle: tuple[float, ...]
    severity_old: tuple[float, ...]
    admission_need: tuple[float, ...]  # probability an episode needs a bed, by severity
    chronic_complication_share: float  # share of chronic follow-ups that are complications, unmanaged
    management_complication_cut: float  # share of those full management prevents
    chronic_management: float  # policy effort in chronic-disease management (0..1)
    seasons: SeasonParams  # onset rates by month (agents/seasons.py)

    @classmethod
    def of(cls, s) -> IllnessParams:
        il = s.illness
        return cls(tuple(il.acute_rate), il.hypertension_followups, il.diabetes_followups, il.incidence_scale,
                   tuple(il.severity_young), tuple(il.severity_middle), tuple(il.severity_old), tuple(il.admission_need),
                   il.chronic_complication_share, il.management_complication_cut, s.policy.chronic_management,
                   SeasonParams.of(il))


@njit(cache=True)
def episode_rates(age: float, chronic: int, acute_rate: np.ndarray, hypertension_followups: float,
                  diabetes_followups: float, scale: float) -> tuple[float, float]:
    """(acute, chronic follow-up) episodes per person-year of one resident (``rate_params``)."""
    band = 0
    for edge in AGE_BANDS[1:]:
        band += age >= edge
    follow = ((chronic & HYPERTENSION) > 0) * hypertension_followups + ((chronic & DIABETES) > 0) * diabetes_followups
    return acute_rate[band] * scale, follow * scale


def rate_params(p: IllnessParams) -> tuple:
    """``episode_rates``' parameters, then the cumulative seasonal weights of acute onsets and of
    chronic follow-ups (``seasons.season_weights``)."""
    return (np.asarray(p.acute_rate, dtype=float), p.hypertension_followups, p.diabetes_followups, p.incidence_scale,
            *season_weights(p.seasons))


def rates_differ(a: tuple, b: tuple) -> bool:
    """Whether two ``rate_params`` give different onset rates (a change redraws the rest of the year)."""
    return any(not np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def severity_cdf(p) -> np.ndarray:
    """Cumulative severity mix of acute episodes by age group (rows: <15, 15-59, 60+), without
    the last column (1)."""
    return np.cumsum([p.severity_young, p.severity_middle, p.severity_old], axis=1)[:, :-1]


def complication_share(management: float, base: float, cut: float) -> float:
    """Share of chronic follow-ups that are complications: ``base`` unmanaged, less ``cut`` of it
    at full chronic-disease management effort (``management``, 0..1)."""
    return base * (1 - cut * management)


@njit(cache=True, inline="always")  # inlined in Numba's IR, as onset_kind
def severity(u_kind: float, u_sev: float, acute: float, follow: float, age: float, cdf: np.ndarray,
             complication: float) -> int:
    """Severity class of a new episode (0 minor .. 3 complex).

    ``u_kind`` picks acute vs chronic follow-up in proportion to their rates on the day (``episode_rates``
    x the day's seasonal weights);
    an acute episode's severity is ``u_sev`` against its age group's ``severity_cdf``."""
    if u_kind * (acute + follow) >= acute:
        return SERIOUS if u_sev < complication else COMMON
    group = 0 if age < 15 else (1 if age < 60 else 2)
    sev = 0
    for j in range(cdf.shape[1]):
        sev += u_sev > cdf[group, j]
    return sev


@njit(cache=True)
def needs_admission(u: float, sev: int, admission_need: np.ndarray, propensity: float = 1.0,
                    serious_propensity: float = 1.0) -> bool:
    """Whether an episode needs a bed. The provider's responses scale the need: ``propensity``
    discretionary (minor/common) admissions, ``serious_propensity`` serious ones (part of their
    need is the doctor's call); complex need is clinical."""
    need = admission_need[sev]
    if sev <= COMMON:
        need = min(max(need * propensity, 0.0), 1.0)
    elif sev == SERIOUS:
        need = min(max(need * serious_propensity, 0.0), 1.0)
    return u < need


def onset_rule(p: IllnessParams, prevention: float) -> tuple:
    """``onset_kind``'s parameters after the rates: the rates, the severity mix, the share of
    chronic follow-ups that are complications under the consortium's ``prevention`` effort
    (``Responses.prevention``, ``agents/response.py``) and chronic-disease management, and the
    need of a bed by severity (``onset_kind``'s arguments after the day)."""
    effort = min(prevention + p.chronic_management, 1.0)
    return (*rate_params(p), severity_cdf(p),
            complication_share(effort, p.chronic_complication_share, p.management_complication_cut),
            np.asarray(p.admission_need, dtype=float))


def year_left(from_day: int) -> tuple[int, int]:
    """The year of ``from_day`` and its days from ``from_day`` on: what a draw of onsets covers."""
    year = from_day // YEAR
    return year, (year + 1) * YEAR - from_day


POISSON_MAX = 1000  # the largest count drawn


@njit(cache=True)
def poisson_cdf(lam: float) -> np.ndarray:
    """P(N <= n) of a Poisson(``lam``) count for n = 0 .. ``POISSON_MAX``, summed term by term."""
    cdf = np.empty(POISSON_MAX + 1)
    p = np.exp(-lam)
    acc = p
    cdf[0] = acc
    for n in range(1, POISSON_MAX + 1):
        p *= lam / n
        acc += p
        cdf[n] = acc
    return cdf


@njit(cache=True)
def poisson_quantile(u: float, cdf: np.ndarray) -> int:
    """The count whose ``poisson_cdf`` first reaches ``u`` (scipy's ppf is ~40x slower for many
    small means). A year's onset counts share a few rates, so a CDF serves many draws."""
    n = 0
    while u > cdf[n] and n < POISSON_MAX:
        n += 1
    return n


@njit(cache=True)
def fall_ill(ids, alive, onsets, episode, uid, birth_day, chronic):
    """Today's onsets (resident rows, the dead included, a resident's repeats next to each other
    as the onset lists keep them): count each living resident's onset once; return the rows that
    start a new episode, their onset numbers (the CRN counter) and the attributes the onset rules
    need (person id, birth day, chronic conditions). An onset during an open episode merges into it."""
    rows = np.empty(len(ids), dtype=np.int64)
    ctr = np.empty(len(ids), dtype=np.int64)
    n = 0
    last = -1
    for i in range(len(ids)):
        x = ids[i]
        if x == last or not alive[x]:
            continue
        last = x
        c = onsets[x]
        onsets[x] += 1
        if episode[x] < 0:
            rows[n] = x
            ctr[n] = c
            n += 1
    rows, ctr = rows[:n], ctr[:n]
    return rows, ctr, uid[rows], birth_day[rows], chronic[rows]


@njit(cache=True, inline="always")  # inlined in Numba's IR: as a call passing five arrays it was a third of onset_kinds
def onset_kind(key, uid, ctr, day_of_year, age, chronic, acute_rate, hypertension_followups, diabetes_followups, scale,
               cum_acute, cum_chronic, cdf, complication, admission_need):
    """Severity and clinical need of a bed of a new episode (``severity``/``needs_admission``, with
    ``episode_rates`` weighted by the day's season) from its onset's KIND, SEVERITY and ADMIT
    draws (onset number ``ctr``)."""
    acute, follow = episode_rates(age, chronic, acute_rate, hypertension_followups, diabetes_followups, scale)
    acute *= cum_acute[day_of_year + 1] - cum_acute[day_of_year]
    follow *= cum_chronic[day_of_year + 1] - cum_chronic[day_of_year]
    s = severity(draw(key, _KIND, uid, ctr), draw(key, _SEVERITY, uid, ctr), acute, follow, age, cdf, complication)
    return s, needs_admission(draw(key, _ADMIT, uid, ctr), s, admission_need)


@njit(cache=True)
def onset_kinds(key, uid, ctr, day_of_year, age, chronic, acute_rate, hypertension_followups, diabetes_followups, scale,
                cum_acute, cum_chronic, cdf, complication, admission_need):
    """``onset_kind`` of each new episode."""
    n = len(uid)
    sev = np.empty(n, dtype=np.int8)
    need = np.empty(n, dtype=np.bool_)
    for i in range(n):
        sev[i], need[i] = onset_kind(key, uid[i], ctr[i], day_of_year, age[i], chronic[i], acute_rate,
                                     hypertension_followups, diabetes_followups, scale, cum_acute, cum_chronic, cdf,
                                     complication, admission_need)
    return sev, need


@njit(cache=True)
def onset_mean(age, chronic, acute_rate, hypertension_followups, diabetes_followups, scale, cum_acute, cum_chronic,
               from_day_of_year, year_length):
    """Expected onsets of one resident from ``from_day_of_year`` to the end of the year, at its
    ``episode_rates`` weighted by the seasons still to come."""
    acute, follow = episode_rates(age, chronic, acute_rate, hypertension_followups, diabetes_followups, scale)
    return (acute * (cum_acute[year_length] - cum_acute[from_day_of_year])
            + follow * (cum_chronic[year_length] - cum_chronic[from_day_of_year])) / year_length


@njit(cache=True)
def onset_count(key, uid, year, cdf):
    """How many onsets a resident has in the rest of ``year``: its ONSET draw for the year
    against ``cdf``, the ``poisson_cdf`` of its ``onset_mean``."""
    return poisson_quantile(draw(key, _ONSET, uid, year), cdf)


def season_guides(rates: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Guides to the seasonal weights of ``rate_params`` (acute, chronic) for ``seasonal_day``."""
    return tuple(search_guide(cum, 2 * len(cum)) for cum in rates[4:6])


@njit(cache=True, inline="always")  # inlined in Numba's IR, as onset_day: a call per onset passing arrays cost more than the rule
def seasonal_day(v, cum, guide, from_day_of_year, year_length):
    """The day of the year at quantile ``v`` of the weights ``cum`` from ``from_day_of_year`` on
    (``guide``: ``season_guides``; the year's draw searches ~4 million times)."""
    target = cum[from_day_of_year] + v * (cum[year_length] - cum[from_day_of_year])
    d = guided_search(cum, guide, target)
    return min(max(d, from_day_of_year), year_length - 1)


@njit(cache=True, inline="always")  # (see seasonal_day) the year's draw took 0.37 s as calls, 0.16 s inlined
def onset_day(key, uid, year, nth, acute, follow, cum_acute, cum_chronic, guide_acute, guide_chronic, from_day_of_year,
              year_length):
    """The day (offset from ``from_day_of_year``) of a resident's ``nth`` onset of ``year``, from
    its ONSET draw numbered for the year and ``nth``: the draw picks acute or chronic in
    proportion to the expected onsets of each still to come (``acute``, ``follow``: yearly rates),
    and its remainder the day by that kind's seasonal weights (inverse CDF; the guides:
    ``season_guides``)."""
    u = draw(key, _ONSET, uid, (year + 1) * 4096 + nth)
    wa = acute * (cum_acute[year_length] - cum_acute[from_day_of_year])
    wc = follow * (cum_chronic[year_length] - cum_chronic[from_day_of_year])
    x = u * (wa + wc)
    if x < wa or wc <= 0.0:
        d = seasonal_day(x / wa if wa > 0.0 else u, cum_acute, guide_acute, from_day_of_year, year_length)
    else:
        d = seasonal_day((x - wa) / wc, cum_chronic, guide_chronic, from_day_of_year, year_length)
    return d - from_day_of_year


@njit(cache=True)
def onset_counts(key, uid, age, chronic, acute_rate, hypertension_followups, diabetes_followups, scale, cum_acute,
                 cum_chronic, year, from_day_of_year, year_length, rates_kept=32):
    """``onset_count`` of each resident from ``from_day_of_year`` to the end of ``year``.
    Residents share a few rates (age bands x chronic conditions: 20), so the CDFs of the first
    ``rates_kept`` means are built once (a CDF per resident was most of the yearly draw)."""
    k = np.empty(len(uid), dtype=np.int64)
    rates = np.empty(rates_kept)
    cdfs = np.empty((rates_kept, POISSON_MAX + 1))
    kept = 0
    for i in range(len(uid)):
        lam = onset_mean(age[i], chronic[i], acute_rate, hypertension_followups, diabetes_followups, scale, cum_acute,
                         cum_chronic, from_day_of_year, year_length)
        j = 0
        while j < kept and rates[j] != lam:
            j += 1
        if j < kept:
            k[i] = onset_count(key, uid[i], year, cdfs[j])
        elif kept < rates_kept:
            rates[kept], cdfs[kept] = lam, poisson_cdf(lam)
            k[i] = onset_count(key, uid[i], year, cdfs[kept])
            kept += 1
        else:
            k[i] = onset_count(key, uid[i], year, poisson_cdf(lam))
    return k


@njit(cache=True)
def onset_days(key, rows, uid, k, age, chronic, acute_rate, hypertension_followups, diabetes_followups, scale, cum_acute,
               cum_chronic, guide_acute, guide_chronic, year, from_day_of_year, year_length):
    """Each onset's resident row and ``onset_day``, residents in order."""
    total = k.sum()
    rep = np.empty(total, dtype=np.int32)
    offset = np.empty(total, dtype=np.uint16)
    j = 0
    for i in range(len(rows)):
        if k[i] == 0:
            continue
        acute, follow = episode_rates(age[i], chronic[i], acute_rate, hypertension_followups, diabetes_followups, scale)
        for nth in range(k[i]):
            rep[j] = rows[i]
            offset[j] = onset_day(key, uid[i], year, nth, acute, follow, cum_acute, cum_chronic, guide_acute,
                                  guide_chronic, from_day_of_year, year_length)
            j += 1
    return rep, offset


def _no_onsets() -> tuple[np.ndarray, np.ndarray]:
    """An empty list of newborns' onsets: (days, rows)."""
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)


class Illness:
    """The year's onsets of a model's residents, and the episodes they open each day."""

    def __init__(self, m):
        self.m = m
        self.newborn_onsets = _no_onsets()  # (day, row) of this year's newborns
        self.onsets_through = -1  # the last day whose onsets have come
        self.rates: tuple | None = None

    def derive(self, s) -> None:
        """Rates and the onset rule from the scenario; a change of rates during a year redraws its rest."""
        self.params = p = IllnessParams.of(s)
        old, self.rates = self.rates, rate_params(p)
        self.guides = season_guides(self.rates)
        self.rule = None  # rebuilt at the next onsets, with the consortium's prevention effort then
        if old is not None and rates_differ(old, self.rates):
            self.redraw()

    def onset_rule(self) -> tuple:
        """``onset_rule`` under the consortium's prevention effort now (it moves monthly)."""
        prevention = self.m.payment.responses.prevention
        if self.rule is None or self.rule_prevention != prevention:
            self.rule, self.rule_prevention = onset_rule(self.params, prevention), prevention
        return self.rule

    def draw(self, ids: np.ndarray, from_day: int, newborn: bool = False) -> None:
        """All onsets of ``ids`` from ``from_day`` to the end of the year, as a Poisson process.

        Rates are fixed for the year. Draws are keyed by (resident, year, onset number), so onset
        times do not depend on anything a policy changes (common random numbers).
        """
        year, days_left = year_left(from_day)
        r, key = self.m.res, self.m.streams.key
        if not newborn:
            self.year_onsets = None  # last year's list is done with: free it before drawing the next
        uid, age, chronic = r.uid[ids], r.age(from_day, ids), r.chronic[ids]
        k = onset_counts(key, uid, age, chronic, *self.rates, year, YEAR - days_left, YEAR)
        rep, offset = onset_days(key, ids, uid, k, age, chronic, *self.rates, *self.guides, year, YEAR - days_left, YEAR)
        del k, uid, age, chronic
        if newborn:
            # a few dozen a day: appended to a short list that today's onsets filter, not sorted into a calendar
            days, rows = self.newborn_onsets
            self.newborn_onsets = (np.concatenate([days, from_day + offset.astype(np.int64)]), np.concatenate([rows, rep]))
            return
        # day d's onsets are rows bounds[d]:bounds[d+1] of the list sorted by day, in resident order within a day
        self.year_onsets, self.year_bounds = by_day(rep, offset, days_left)
        self.year_start = from_day

    def draw_newborns(self, ids: np.ndarray, from_day: int) -> None:
        self.draw(ids, from_day, newborn=True)

    def start_year(self) -> None:
        """Last year's newborns are now residents: this year's onsets of the living."""
        r = self.m.res
        self.newborn_onsets = _no_onsets()
        self.draw(np.flatnonzero(r.alive[: r.n]), self.m.day)

    def redraw(self) -> None:
        """The rest of the year's onsets at new rates, from the first day whose onsets are still
        to come, for everyone alive (newborns included): onsets are a Poisson process, which has
        no memory. Each resident's count comes from its same ONSET draw for the year, so rates
        raised for everyone raise everyone's count (common random numbers)."""
        from_day = self.onsets_through + 1
        if from_day // YEAR != self.year_start // YEAR:
            return  # that year's draw is still to come, and will use the new rates
        self.newborn_onsets = _no_onsets()
        self.draw(np.flatnonzero(self.m.res.alive[: self.m.res.n]), from_day)

    def due(self) -> np.ndarray:
        """Rows with an onset today: the year's list, then newborns' (which leave their list). A
        resident's onsets of one day are next to each other (``fall_ill`` counts them once):
        the year's list is in row order within a day, a newborn's onsets come from one draw, and
        newborns' rows are not in the year's list (rows are given to newborns only at the year's
        start, from residents who were dead by then)."""
        day = self.m.day
        self.onsets_through = day
        i = day - self.year_start
        days, rows = self.newborn_onsets
        today = days == day
        self.newborn_onsets = (days[~today], rows[~today])
        return np.concatenate([self.year_onsets[self.year_bounds[i]:self.year_bounds[i + 1]], rows[today]])

    def onsets(self) -> None:
        """Today's onsets open episodes, each to choose care today."""
        m, r = self.m, self.m.res
        ids, ctr, uid, born, chronic = fall_ill(self.due(), r.alive, r.onsets, r.episode, r.uid, r.birth_day, r.chronic)
        if len(ids) == 0:
            return
        sev, need = onset_kinds(m.streams.key, uid, ctr, m.day % YEAR, age_on(m.day, born), chronic, *self.onset_rule())
        eps = m.ep.begin(ids, r, uid, sev, need, m.day, ctr)
        scatter(r.episode, ids, eps)
        m.today.episodes += len(eps)
        m.schedule(eps, Stage.CHOOSE, m.day)

    @property
    def nbytes(self) -> int:
        """What is scheduled: the year's onsets and newborns' onsets."""
        return self.year_onsets.nbytes + self.year_bounds.nbytes + sum(a.nbytes for a in self.newborn_onsets)
