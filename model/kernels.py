"""The engine's compiled loops over a day's episodes.

Each kernel walks the day's episodes (or onsets, or once a year the residents) in one pass,
calling the compiled scalar rules of ``agents`` (``choice``, ``care``, ``illness``,
``population``) with the draw for that episode and purpose (``streams.draw``), where NumPy
would make a pass with temporaries per step of the rule. The reference model calls the same
rules for one resident at a time, so a rule is written once. Episode fields are read in place
by id; resident attributes come gathered per episode where a loop would otherwise wait on a
cache miss per resident (see ``choose_slots``).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from reformsim.agents.care import attempts, excess_fatality, learned, length_of_stay, success_prob
from reformsim.agents.choice import pick, self_care_utility, slot_utility
from reformsim.agents.illness import (
    COMMON,
    POISSON_MAX,
    episode_rates,
    needs_admission,
    poisson_cdf,
    poisson_quantile,
    severity,
)
from reformsim.agents.payment import insured_after_deductible
from reformsim.agents.population import DAYS_PER_YEAR, DIABETES, HYPERTENSION, age_on, prevalence
from reformsim.agents.streams import Purpose, draw
from reformsim.model.lifetable import death_age

_KIND, _SEVERITY, _ADMIT = int(Purpose.KIND), int(Purpose.SEVERITY), int(Purpose.ADMIT)
_CHOICE, _OUTCOME, _FATALITY = int(Purpose.CHOICE), int(Purpose.OUTCOME), int(Purpose.FATALITY)
_LOS, _DOWN, _ONSET, _CHRONIC = int(Purpose.LOS), int(Purpose.DOWN), int(Purpose.ONSET), int(Purpose.CHRONIC)
_BIRTH, _DEATH = int(Purpose.BIRTH), int(Purpose.DEATH)
_BIRTHS_PER_DRAW = 500.0  # the largest Poisson mean drawn at once (exp(-mean) must not underflow)


@njit(cache=True)
def choose_slots(c, key, eps, person, ep_key, steps, severity, has_referral, referred_tier, home, scheme, income,
                 contract, trust, max_steps, slot_fac, slot_tier, wait_general, wait_priority, quality, oop, travel):
    """Each episode's next care-seeking step: its ``steps`` count goes up by one; past
    ``max_steps`` the resident gives up (alternative -1), else the alternative (0 self-care,
    else slot + 1) and the chosen facility, picked by the episode's CHOICE draw for that step.

    Episode fields are read by id; the resident's ``contract`` and ``trust`` come gathered per
    episode: read here from the resident arrays, each would be a cache miss that the loop waits
    for. Per-home tables are indexed as in ``CountyModel._choose``: ``quality`` rows by (home,
    severity), ``oop`` rows by (home, scheme, letter, severity).
    """
    n, s = len(eps), slot_fac.shape[1]
    alt = np.empty(n, dtype=np.int64)
    fid = np.empty(n, dtype=np.int64)
    u = np.empty(s + 1)
    for i in range(n):
        e = eps[i]
        steps[e] += 1
        if steps[e] > max_steps:
            alt[i] = -1
            fid[i] = -1
            continue
        h, sv = home[e], severity[e]
        has_letter, con, rt = has_referral[e], contract[i], referred_tier[e]
        priority = has_letter or con
        oop_row = ((h * 2 + scheme[e]) * 2 + has_letter) * 4 + sv
        bypass = True
        if has_letter:
            for j in range(s):
                if slot_tier[h, j] == rt:
                    bypass = False
        u[0] = self_care_utility(c, sv)
        for j in range(s):
            t = slot_tier[h, j]
            if t < 0:
                u[j + 1] = -np.inf
                continue
            f = slot_fac[h, j]
            wait = wait_priority[f] if priority else wait_general[f]
            referred = has_letter and t == rt
            u[j + 1] = slot_utility(c, sv, t, quality[h * 4 + sv, j], trust[i, t], oop[oop_row, j], income[e],
                                    travel[h, j], wait, referred, con, bypass)
        a = pick(u, draw(key, _CHOICE, person[e], np.int64(ep_key[e]) * 8 + steps[e]))
        alt[i] = a
        fid[i] = slot_fac[h, max(a - 1, 0)]
    return alt, fid


@njit(cache=True)
def book_choices(eps, alt, fid, contract, has_referral, steps, severity, referred_tier, facility_tier, use_reserved,
                 wait_general, wait_priority, day, facility, arrivals, arrivals_priority):
    """After ``choose_slots``: the episodes that gave up, those that care for themselves (and
    whether each had a referral letter), and those booked at a facility, with the day of their
    visit (by the facility's wait, the reserved one for priority patients where it keeps slots);
    each booked episode's ``facility`` is set and counted in ``arrivals`` or, using the reserve,
    ``arrivals_priority``. Also the day's tallies: referral decisions, referrals attended at the
    tier referred to or above, first contacts, first contacts that bypass primary care for a
    minor or common case."""
    n = len(eps)
    gave_up = np.empty(n, dtype=np.int64)
    own = np.empty(n, dtype=np.int64)
    own_letter = np.empty(n, dtype=np.bool_)
    booked = np.empty(n, dtype=np.int64)
    visit_day = np.empty(n, dtype=np.int64)
    n_gave_up = n_own = n_booked = 0
    tally = np.zeros(4, dtype=np.int64)
    for i in range(n):
        e, a = eps[i], alt[i]
        if a < 0:
            gave_up[n_gave_up] = e
            n_gave_up += 1
            continue
        letter = has_referral[e]
        chosen = -1 if a == 0 else facility_tier[fid[i]]
        tally[0] += letter
        tally[1] += letter and chosen >= referred_tier[e]
        if a == 0:
            own[n_own] = e
            own_letter[n_own] = letter
            n_own += 1
            continue
        if steps[e] == 1:
            tally[2] += 1
            tally[3] += chosen >= 2 and severity[e] <= COMMON
        f = fid[i]
        facility[e] = f
        if (letter or contract[i]) and use_reserved[f]:
            arrivals_priority[f] += 1
            wait = wait_priority[f]
        else:
            arrivals[f] += 1
            wait = wait_general[f]
        booked[n_booked] = e
        visit_day[n_booked] = day + int(np.floor(wait))
        n_booked += 1
    return (gave_up[:n_gave_up], own[:n_own], own_letter[:n_own], booked[:n_booked], visit_day[:n_booked], tally)


@njit(cache=True)
def scatter(dst, ids, src):
    """``dst[ids] = src`` for distinct ``ids``. NumPy's fancy assignment checks and casts per
    element: on a day's thousands of ids this loop takes half its time."""
    for i in range(len(ids)):
        dst[ids[i]] = src[i]


@njit(cache=True)
def scatter_from(dst, ids, src, rows):
    """``dst[ids] = src[rows]`` without the gathered temporary (see ``scatter``)."""
    for i in range(len(ids)):
        dst[ids[i]] = src[rows[i]]


@njit(cache=True)
def fill(dst, ids, value):
    """``dst[ids] = value`` for one value (see ``scatter``)."""
    for i in range(len(ids)):
        dst[ids[i]] = value


@njit(cache=True)
def rank_within(group, mask):
    """0-based order of each masked row among the masked rows of its group, in row order
    (others: the largest int64), e.g. patients' places in the queue for a facility's free beds."""
    out = np.full(len(group), np.iinfo(np.int64).max, dtype=np.int64)
    if len(group) == 0:
        return out
    seen = np.zeros(group.max() + 1, dtype=np.int64)
    for i in range(len(group)):
        if mask[i]:
            g = group[i]
            out[i] = seen[g]
            seen[g] += 1
    return out


@njit(cache=True)
def first_of_each(ids, keep_row, seen, stamp):
    """Rows of ``ids`` where ``keep_row`` holds and the id was not met earlier in ``ids``, in order.

    ``seen`` (as long as the largest id + 1) remembers ids by ``stamp``, a number never used in
    an earlier call, so it never needs clearing."""
    out = np.empty(len(ids), dtype=np.int64)
    n = 0
    for i in range(len(ids)):
        x = ids[i]
        if keep_row[i] and seen[x] != stamp:
            seen[x] = stamp
            out[n] = x
            n += 1
    return out[:n]


@njit(cache=True)
def due_by_stage(ids, due, stage, open_, day, n_stages, seen, stamp):
    """The episodes of a calendar's entries still due today, each once, sorted by their stage
    (in entry order within one): stage s's are ``out[bounds[s]:bounds[s + 1]]``."""
    keep = np.empty(len(ids), dtype=np.bool_)
    for i in range(len(ids)):
        keep[i] = due[ids[i]] == day and open_[ids[i]]
    live = first_of_each(ids, keep, seen, stamp)
    return by_day(live, stage[live], n_stages)


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


@njit(cache=True)
def onset_kinds(key, uid, ctr, age, chronic, acute_rate, hypertension_followups, diabetes_followups, scale, cdf,
                complication, admission_need, propensity):
    """Severity and need of a bed of new episodes (``illness.severity``/``needs_admission``, with
    ``illness.episode_rates``) from each onset's KIND, SEVERITY and ADMIT draws."""
    n = len(uid)
    sev = np.empty(n, dtype=np.int8)
    need = np.empty(n, dtype=np.bool_)
    for i in range(n):
        acute, follow = episode_rates(age[i], chronic[i], acute_rate, hypertension_followups, diabetes_followups, scale)
        s = severity(draw(key, _KIND, uid[i], ctr[i]), draw(key, _SEVERITY, uid[i], ctr[i]), acute, follow, age[i],
                     cdf, complication)
        sev[i] = s
        need[i] = needs_admission(draw(key, _ADMIT, uid[i], ctr[i]), s, admission_need, propensity)
    return sev, need


@njit(cache=True)
def treat(key, eps, fid, tier, person, ep_key, steps, severity, resident, skill, below_need, capable, trust, rate):
    """Treatment at facility ``fid``: whether it resolves each episode (its OUTCOME draw for this
    step against ``care.success_prob``), and the resident's trust in ``tier`` learning from that
    (``care.learned``, in place; one episode per resident). The episodes resolved and the rest,
    each in the order given. Episode fields are read in place by id."""
    n = len(eps)
    ok = np.empty(n, dtype=np.bool_)
    for i in range(n):
        e = eps[i]
        ok[i] = draw(key, _OUTCOME, person[e], np.int64(ep_key[e]) * 8 + steps[e]) < success_prob(
            skill[fid[i]], severity[e], below_need, capable)
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
def dies(key, eps, person, ep_key, severity, start, treated_day, day, untreated, untreated_fatality,
         delay_fatality_per_day):
    """Whether each closing episode kills (``care.excess_fatality`` against its FATALITY draw):
    untreated, from the delay since onset; treated, from the delay before adequate care.
    Most episodes carry no risk and draw nothing."""
    out = np.zeros(len(eps), dtype=np.bool_)
    for i in range(len(eps)):
        e = eps[i]
        delay = day - start[e] if untreated else max(treated_day[e] - start[e], 0)
        p = excess_fatality(severity[e], delay, untreated, untreated_fatality, delay_fatality_per_day)
        if p > 0:
            out[i] = draw(key, _FATALITY, person[e], ep_key[e]) < p
    return out


@njit(cache=True)
def count_visits(eps, fid, visits, has_referral, scheme, facility_tier):
    """Today's visits by facility and kind of bill (``CountyModel._visit_bill_table``'s columns:
    scheme x tier x referred x revisit), and how many were revisits; counts each episode's visit."""
    n = np.zeros((len(facility_tier), 32), dtype=np.int64)
    revisits = 0
    for i in range(len(eps)):
        e, f = eps[i], fid[i]
        again = visits[e] > 0
        n[f, ((scheme[e] * 4 + facility_tier[f]) * 2 + has_referral[e]) * 2 + again] += 1
        revisits += again
        visits[e] += 1
    return n, revisits


@njit(cache=True)
def allocate_beds(fid, priority, beds, occupied, occupied_priority, reserved):
    """Which of today's patients needing a bed at ``fid`` get one, in arrival order: priority
    patients (referred or contracted) any whole free bed first, then the others only whole beds
    outside the ``reserved`` share (bed counts of a scaled county are fractional)."""
    nf = len(beds)
    free = np.empty(nf)
    for f in range(nf):
        free[f] = np.floor(max(beds[f] - occupied[f] - occupied_priority[f], 0.0) + 1e-9)
    fits = np.zeros(len(fid), dtype=np.bool_)
    for i in range(len(fid)):
        if priority[i] and free[fid[i]] >= 1:
            fits[i] = True
            free[fid[i]] -= 1
    for f in range(nf):
        free[f] = min(np.floor(max(beds[f] * (1 - reserved[f]) - occupied[f], 0.0) + 1e-9), free[f])
    for i in range(len(fid)):
        if not priority[i] and free[fid[i]] >= 1:
            fits[i] = True
            free[fid[i]] -= 1
    return fits


@njit(cache=True)
def occupy_beds(eps, fid, priority, fits, facility_tier, day, occupied, occupied_priority, admissions_today,
                admissions_by_tier, bed_facility, admit_tier, bed_since, admit_day, has_referral):
    """After ``allocate_beds``: each patient who fits takes a bed at ``fid`` (counted in
    ``occupied_priority`` for priority patients, else ``occupied``) from ``day``, the stay's
    fields are set (the priority marker ``has_referral`` travels with the stay) and the day's
    admissions counted, all in place. The admitted and their tiers, and those turned away and the
    tiers of the facilities that turned them away, each in the order given."""
    n, nf = len(eps), len(facility_tier)
    admitted, tier = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    away, away_tier = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    n_in = n_away = 0
    # counted first and added once per facility, as a bincount would: the stocks are floats
    beds_taken = np.zeros((2, nf))
    by_tier = np.zeros(4)
    for i in range(n):
        e, f = eps[i], fid[i]
        t = facility_tier[f]
        if not fits[i]:
            away[n_away], away_tier[n_away] = e, t
            n_away += 1
            continue
        beds_taken[int(priority[i]), f] += 1
        by_tier[t] += 1
        bed_facility[e], admit_tier[e], bed_since[e], admit_day[e] = f, t, day, day
        has_referral[e] = priority[i]
        admitted[n_in], tier[n_in] = e, t
        n_in += 1
    for f in range(nf):
        occupied[f] += beds_taken[0, f]
        occupied_priority[f] += beds_taken[1, f]
        admissions_today[f] += beds_taken[0, f] + beds_taken[1, f]
    for t in range(4):
        admissions_by_tier[t] += by_tier[t]
    return admitted[:n_in], tier[:n_in], away[:n_away], away_tier[:n_away]


@njit(cache=True)
def stays(key, eps, person, ep_key, severity, tier, los_days, los_response, down_prob, acute_fraction):
    """Each admission's length of stay (``care.length_of_stay``, then the tier's provider
    response), whether it moves down to a township bed after the acute part (county and
    tertiary stays of 3+ days, with ``down_prob`` by tier) and the length of that part, which
    ends before the stay's last day (a move on the discharge day would come after that day's
    discharges had run)."""
    n = len(eps)
    los = np.empty(n, dtype=np.int64)
    down = np.zeros(n, dtype=np.bool_)
    acute = np.empty(n, dtype=np.int64)
    for i in range(n):
        e, t = eps[i], tier[i]
        base = length_of_stay(draw(key, _LOS, person[e], ep_key[e]), los_days[t], severity[e], 1.0)
        los[i] = max(1, int(np.rint(base * los_response[t])))
        down[i] = t >= 2 and draw(key, _DOWN, person[e], ep_key[e]) < down_prob[t] and los[i] >= 3
        acute[i] = min(max(1, int(np.rint(los[i] * acute_fraction))), los[i] - 1)
    return los, down, acute


@njit(cache=True)
def bill_stays(eps, day, bed_facility, bed_since, visits, scheme, has_referral, referred_tier, admit_tier, severity,
               billed_deductible, stay_cost, facility_tier, service, drug, test, test_mult, repeat_test_mult, ratio,
               deductible, cap, per_case, case_rate):
    """The bill for each stay's bed-days at its current bed facility (at least one), priced per
    bed-day by tier; a stay of a patient seen before has its repeat tests cut by
    ``repeat_test_mult`` (mutual recognition). The fund's part follows ``payment.inpatient_terms``:
    the deductible and cap apply to a stay's first bill, a continuing stay (after moving down)
    is reimbursed at the ratio. A stay admitted at a tier paid ``per_case`` is paid the case rate
    for its severity instead of its bills. Marks the deductible billed and adds the bill to the
    stay's cost, in place.

    Per stay: facility, tier, scheme, bed-days, service, drug, test, out of pocket, what the payer pays.
    """
    n = len(eps)
    fid = np.empty(n, dtype=np.int64)
    tier = np.empty(n, dtype=np.int64)
    sch = np.empty(n, dtype=np.int64)
    days, serv, drg, tst, oop, paid = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        e = eps[i]
        f = bed_facility[e]
        t, s = facility_tier[f], scheme[e]
        d = float(max(day - bed_since[e], 1))
        mult = test_mult[t] * (repeat_test_mult if visits[e] > 1 else 1.0)
        serv[i], drg[i], tst[i] = service[t] * d, drug[t] * d, test[t] * d * mult
        bill = serv[i] + drg[i] + tst[i]
        r = ratio[s, t, 1 if has_referral[e] or referred_tier[e] >= 0 else 0]
        insured = bill * r if billed_deductible[e] else insured_after_deductible(bill, r, deductible[s, t], cap[s, t])
        billed_deductible[e] = True
        stay_cost[e] += bill
        fid[i], tier[i], sch[i], days[i], oop[i] = f, t, s, d, bill - insured
        paid[i] = case_rate[severity[e]] if per_case[t] and admit_tier[e] == t else insured
    return fid, tier, sch, days, serv, drg, tst, oop, paid


REFER, ADMIT, OUTPATIENT = 0, 1, 2


@njit(cache=True)
def triage(eps, fid, severity, needs_bed, treated_day, skill, tier, keep, day):
    """What each visit leads to: ``REFER`` up (beyond what the facility attempts with the tier's
    ``keep`` margin, or a bed needed at a village clinic), else ``ADMIT`` or ``OUTPATIENT``
    treatment. Records ``day`` as the first adequate care where the facility could treat the
    case without keeping it (``treated_day``, in place)."""
    out = np.empty(len(eps), dtype=np.int8)
    for i in range(len(eps)):
        e, f = eps[i], fid[i]
        t, sv = tier[f], severity[e]
        if not attempts(skill[f], sv, keep[t]) or (needs_bed[e] and t == 0):
            out[i] = REFER
            continue
        if attempts(skill[f], sv, 0.0) and treated_day[e] < 0:
            treated_day[e] = day
        out[i] = ADMIT if needs_bed[e] else OUTPATIENT
    return out


@njit(cache=True)
def onset_counts(key, uid, age, chronic, acute_rate, hypertension_followups, diabetes_followups, scale, year, days_left,
                 year_length, rates_kept=32):
    """How many onsets each resident has in the ``days_left`` days to the end of ``year``: a
    Poisson count at the resident's ``illness.episode_rates``, from its ONSET draw for the year.
    Residents share a few rates (age bands x chronic conditions: 20), so the CDFs of the first
    ``rates_kept`` rates are built once (a CDF per resident was most of the yearly draw)."""
    k = np.empty(len(uid), dtype=np.int64)
    rates = np.empty(rates_kept)
    cdfs = np.empty((rates_kept, POISSON_MAX + 1))
    kept = 0
    for i in range(len(uid)):
        acute, follow = episode_rates(age[i], chronic[i], acute_rate, hypertension_followups, diabetes_followups, scale)
        lam = (acute + follow) * days_left / year_length
        u = draw(key, _ONSET, uid[i], year)
        j = 0
        while j < kept and rates[j] != lam:
            j += 1
        if j < kept:
            k[i] = poisson_quantile(u, cdfs[j])
        elif kept < rates_kept:
            rates[kept], cdfs[kept] = lam, poisson_cdf(lam)
            k[i] = poisson_quantile(u, cdfs[kept])
            kept += 1
        else:
            k[i] = poisson_quantile(u, poisson_cdf(lam))
    return k


@njit(cache=True)
def onset_days(key, rows, uid, k, year, days_left):
    """Each onset's resident row and day (offset from the first day drawn), residents in order:
    the nth onset of a resident falls on a uniform day, from its ONSET draw numbered for the year."""
    total = k.sum()
    rep = np.empty(total, dtype=np.int32)
    offset = np.empty(total, dtype=np.uint16)
    j = 0
    for i in range(len(rows)):
        for nth in range(k[i]):
            rep[j] = rows[i]
            offset[j] = np.uint16(np.floor(draw(key, _ONSET, uid[i], (year + 1) * 4096 + nth) * days_left))
            j += 1
    return rep, offset


@njit(cache=True)
def by_day(rows, day, days):
    """Counting sort of ``rows`` by ``day`` (0 .. days - 1), stable: day d's rows are
    ``sorted[bounds[d]:bounds[d + 1]]``, in their order in ``rows``."""
    bounds = np.zeros(days + 1, dtype=np.int64)
    for j in range(len(day)):
        bounds[day[j] + 1] += 1
    for d in range(days):
        bounds[d + 1] += bounds[d]
    at = bounds[:-1].copy()
    out = np.empty(len(rows), dtype=rows.dtype)
    for j in range(len(rows)):
        out[at[day[j]]] = rows[j]
        at[day[j]] += 1
    return out, bounds


@njit(cache=True)
def newborns(key, day, expected, home_cdf, income_cdf, female_share):
    """Today's births: a Poisson count of mean ``expected`` (in parts of at most
    ``_BIRTHS_PER_DRAW``), and each newborn's home and income band (inverse CDFs) and sex, from
    the day's BIRTH draws. Newborn k's attributes come from the draws numbered for k, so they do
    not depend on how many were born (common random numbers across policies)."""
    parts = max(int(np.ceil(expected / _BIRTHS_PER_DRAW)), 1)
    cdf = poisson_cdf(expected / parts)
    n = 0
    for j in range(parts):
        n += poisson_quantile(draw(key, _BIRTH, 2 * day, j), cdf)
    home = np.empty(n, dtype=np.int32)
    female = np.empty(n, dtype=np.bool_)
    income = np.empty(n, dtype=np.uint8)
    for k in range(n):
        home[k] = np.searchsorted(home_cdf, draw(key, _BIRTH, 2 * day + 1, 3 * k), side="right")
        female[k] = draw(key, _BIRTH, 2 * day + 1, 3 * k + 1) < female_share
        income[k] = np.searchsorted(income_cdf, draw(key, _BIRTH, 2 * day + 1, 3 * k + 2), side="right")
    return home, female, income


@njit(cache=True)
def background_deaths(key, rows, uid, birth_day, death_day, day, year_end, hazard, cumulative_hazard):
    """Each resident's day of background death (``lifetable.death_age`` from its DEATH draw, not
    before ``day``), written to ``death_day``; the rows, and their days, of those who die
    before ``year_end``."""
    soon = np.empty(len(rows), dtype=np.int64)
    days = np.empty(len(rows), dtype=np.int64)
    n = 0
    for i in range(len(rows)):
        x = rows[i]
        at = death_age(age_on(day, birth_day[x]), draw(key, _DEATH, uid[x], 0), hazard, cumulative_hazard)
        d = max(birth_day[x] + np.int64(np.floor(at * DAYS_PER_YEAR)), day)
        death_day[x] = d
        if d < year_end:
            soon[n] = x
            days[n] = d
            n += 1
    return soon[:n], days[:n]


@njit(cache=True)
def _oldest(alive, birth_day, day):
    """The age in days on ``day`` of the oldest of the living (0 if none)."""
    oldest = 0
    for x in range(len(alive)):
        if alive[x]:
            oldest = max(oldest, day - birth_day[x])
    return oldest


@njit(cache=True)
def count_by_age_in_days(alive, birth_day, day):
    """How many of the living are each age in days on ``day`` (a census in one pass, without
    the temporaries of selecting the living and subtracting)."""
    counts = np.zeros(_oldest(alive, birth_day, day) + 1, dtype=np.int64)
    for x in range(len(alive)):
        if alive[x]:
            counts[day - birth_day[x]] += 1
    return counts


@njit(cache=True)
def develop_chronic(key, alive, uid, birth_day, chronic, day, year, hypertension_scale, diabetes_scale):
    """A year on: each living resident without hypertension (diabetes) develops it with the
    rise in its prevalence between last year's age and this year's, among those without it.
    Draws are keyed by person and year (CHRONIC), so a policy never changes who falls ill.
    The chances depend on age alone, so they are worked out once per age in days (a county has
    ~40,000 against ~600,000 residents)."""
    oldest = _oldest(alive, birth_day, day)
    p_h = np.full(oldest + 1, -1.0)
    p_d = np.empty(oldest + 1)
    for x in range(len(alive)):
        if not alive[x]:
            continue
        a = day - birth_day[x]
        if p_h[a] < 0:
            age = age_on(day, birth_day[x])
            h0, d0 = prevalence(age - 1, hypertension_scale, diabetes_scale)
            h1, d1 = prevalence(age, hypertension_scale, diabetes_scale)
            p_h[a] = min(max((h1 - h0) / max(1 - h0, 1e-9), 0.0), 1.0)
            p_d[a] = min(max((d1 - d0) / max(1 - d0, 1e-9), 0.0), 1.0)
        if draw(key, _CHRONIC, uid[x], 2 * year) < p_h[a]:
            chronic[x] |= HYPERTENSION
        if draw(key, _CHRONIC, uid[x], 2 * year + 1) < p_d[a]:
            chronic[x] |= DIABETES
