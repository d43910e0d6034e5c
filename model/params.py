"""Scenario parameters: the county, its people, behaviour, prices, insurance and levers.

Every field is validated (pydantic); unknown fields are errors. Per-tier lists are
ordered by tier: ``[village, township/community, county, tertiary]``. Severity lists are
ordered ``[minor, common, serious, complex]``. Figures cite ``docs/sources.md``
(a copy of the project's calibration sources) by row name.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

N_TIERS = 4
N_SEVERITY = 4
TIERS = ("village", "township", "county", "tertiary")
SEVERITIES = ("minor", "common", "serious", "complex")

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
# no count, price or budget in a county reaches 1e9 (the largest default is a ¥2e7 subsidy); the cap
# turns absurd inputs (1e300) into a validation error instead of overflow deep in a run
NonNeg = Annotated[float, Field(ge=0.0, le=1e9, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0.0, le=1e9, allow_inf_nan=False)]
Rate = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]  # events per person-year
Coef = Annotated[float, Field(allow_inf_nan=False, ge=-1e3, le=1e3)]


def _fixed_len(n: int):
    def check(v: list) -> list:
        if len(v) != n:
            raise ValueError(f"needs {n} values, got {len(v)}")
        return v

    return check


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class CountyParams(Section):
    """The synthetic county (Chuxiong-like by default) or a facilities CSV."""

    population: Annotated[int, Field(ge=100, le=20_000_000)] = 631_530  # census 2020 (sources: default county)
    townships: Annotated[int, Field(ge=1, le=200)] = 15  # seed 000
    villages_per_township: Annotated[int, Field(ge=1, le=60)] = 10  # sources: ~17 nationally; Chuxiong ~10 (assumption)
    urban_share: Share = 0.42  # assumption: county seat share of residents
    residents_per_community_centre: Annotated[int, Field(ge=2_000, le=20_000_000)] = 20_000  # seed 004 (Shenzhen standard)
    mountain_share: Share = 0.4  # assumption: share of townships in the mountains
    mountain_travel_factor: Annotated[float, Field(ge=1.0, le=10.0)] = 2.2  # assumption
    village_township_min: Pos = 25.0  # assumption: travel minutes village -> township centre
    township_county_min: Pos = 45.0  # assumption: plain township -> county seat
    urban_county_min: Pos = 15.0  # assumption: urban community -> county hospital
    county_tertiary_min: Pos = 40.0  # assumption: county seat -> prefecture hospital
    tertiary_bed_share: Share = 0.3  # assumption: share of tertiary beds used by this county's residents
    facilities_csv: str | None = None  # a real county instead of the generator


class PopulationParams(Section):
    employee_scheme_share: Share = 0.15  # assumption: urban employee insurance
    employee_scheme_urban_share: Share = 0.30  # assumption: employee scheme among urban residents
    income_band_shares: list[Share] = [0.4, 0.4, 0.2]  # assumption: low / middle / high
    hypertension_scale: NonNeg = 1.0  # multiplies the age-specific prevalence in agents/population.py
    diabetes_scale: NonNeg = 1.0
    initial_trust: list[Share] = [0.6, 0.55, 0.8, 0.9]  # assumption, by tier
    crude_birth_rate: Annotated[float, Field(ge=0.0, le=0.1)] = 0.0098  # assumption (~China 2020)

    _len = field_validator("initial_trust")(_fixed_len(N_TIERS))
    _len3 = field_validator("income_band_shares")(_fixed_len(3))


# a month's relative weight in a seasonal profile (agents/seasons.py)
MonthWeight = Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)]


class IllnessParams(Section):
    """Episode onset and severity. Calibrated to visits ~6 and admissions ~0.18 per capita."""

    # acute episodes per person-year by age band [0-4, 5-14, 15-44, 45-64, 65+] (assumption, calibrated)
    acute_rate: list[Rate] = [7.0, 3.4, 2.6, 3.6, 5.2]
    # chronic follow-up episodes per year for a resident with hypertension / diabetes (assumption)
    hypertension_followups: Rate = 3.0
    diabetes_followups: Rate = 3.0
    incidence_scale: Annotated[float, Field(ge=0.0, le=20.0, allow_inf_nan=False)] = 1.400  # onsets scale memory; fitted by `reformsim calibrate` (docs/validation.md)
    # acute severity mix [minor, common, serious, complex] for young / middle / old. Complex episodes
    # are those a county hospital treats only at its best (stroke, infarction, major trauma): about
    # one admission in six, 0.03 a resident a year, of which rural patients take 27-29% to a
    # tertiary hospital (sources: where care happens, Kadoorie Biobank) — a tenth to a fifth of
    # acute episodes' serious tail (assumption sized to those)
    severity_young: list[Share] = [0.68, 0.27, 0.045, 0.005]
    severity_middle: list[Share] = [0.55, 0.36, 0.08, 0.01]
    severity_old: list[Share] = [0.42, 0.42, 0.14, 0.02]
    # probability an episode needs a bed, by severity; the serious-episode value is fitted by `reformsim calibrate` (docs/validation.md)
    admission_need: list[Share] = [0.0, 0.016, 0.2, 0.85]
    # share of chronic follow-ups that are complications (serious episodes) without management
    # (assumption: a few percent of hypertensive/diabetic follow-ups are acute complications)
    chronic_complication_share: Share = 0.04
    # share of those complications that full chronic-disease management prevents (assumption)
    management_complication_cut: Share = 0.5
    # excess case fatality of an episode left untreated, by severity, at published levels: a complex episode (stroke, infarction) left untreated kills about one in
    # ten (30-day case fatality of untreated stroke and infarction 10-20%), a serious one about one
    # in a hundred, and each day's delay adds a tenth of that (assumptions sized to those); the
    # background table (life_expectancy_table) is set below the county's level to make room for them
    untreated_fatality: list[Share] = [0.0, 0.00005, 0.005, 0.05]
    delay_fatality_per_day: list[Share] = [0.0, 0.0, 0.0002, 0.002]  # added per day of delay
    # seasons (agents/seasons.py): relative onset rate by month, January first. Acute episodes: a
    # respiratory winter peak — respiratory infections, about a third of acute episodes, run two to
    # three times as high in winter as in summer (China influenza surveillance: ILI peaks December-
    # February; primary-care respiratory visits 3x winter/summer), so all acute onsets about 1.5x
    # (assumption shaped on those). Normalised to a mean of 1: the yearly rates above are kept.
    acute_by_month: list[MonthWeight] = [1.25, 1.10, 1.05, 0.95, 0.90, 0.85, 0.85, 0.85, 0.90, 0.95, 1.05, 1.30]
    # chronic follow-ups and their complications: a milder winter excess (cardiovascular events
    # rise in the cold season; assumption); normalised likewise
    chronic_by_month: list[MonthWeight] = [1.15, 1.10, 1.00, 0.95, 0.95, 0.90, 0.90, 0.90, 0.95, 1.00, 1.05, 1.15]
    # people present relative to residents, by month: tourists at scenic areas, migrant workers home
    # for the Spring Festival (春节返乡). Not normalised: above 1 adds demand. Ones: residents only
    visitors_by_month: list[MonthWeight] = [1.0] * 12

    _a = field_validator("acute_rate")(_fixed_len(5))
    _m = field_validator("acute_by_month", "chronic_by_month", "visitors_by_month")(_fixed_len(12))

    @field_validator("acute_by_month", "chronic_by_month")
    @classmethod
    def _some_season(cls, v: list[float]) -> list[float]:
        if sum(v) <= 0:
            raise ValueError("a seasonal profile needs at least one month above 0")
        return v
    _s = field_validator(
        "severity_young", "severity_middle", "severity_old", "admission_need",
        "untreated_fatality", "delay_fatality_per_day",
    )(_fixed_len(N_SEVERITY))

    @field_validator("severity_young", "severity_middle", "severity_old")
    @classmethod
    def _sums_to_one(cls, v: list[float]) -> list[float]:
        if abs(sum(v) - 1.0) > 1e-6:
            raise ValueError(f"severity shares must sum to 1, got {sum(v):.4f}")
        return v


class BehaviourParams(Section):
    """Multinomial-logit care-seeking (priors: Yu et al. 2021; Qian et al. 2009)."""

    beta_quality: Coef = 3.0  # per unit of the pathway's perceived quality x trust
    # per unit of log(1 + out-of-pocket / daily income): a logarithm, so the first yuan of a visit
    # weigh more than the last of a stay; sized so outpatient care responds to price about as the
    # rural price elasticities say (EVIDENCE P1: -0.5 for the first visit; P2: -1.5 at village clinics)
    beta_cost: Coef = -1.5
    # household income per person per day by band (low 40%, middle 40%, high 20%), ¥: NBS 2023 rural
    # per-capita disposable income by quintile (low two ~¥8,600, middle two ~¥22,400, top ~¥50,000 a year)
    daily_income: list[Annotated[float, Field(gt=0.0, le=1e5, allow_inf_nan=False)]] = [24.0, 61.0, 137.0]
    # sensitivity to cost and travel falls with severity, to the delay of referrals it rises
    # (EVIDENCE P4: township attributes swing minor-illness choice by tens of points, severe not at
    # all; Qian et al. 2009: distance matters less for severe illness); shapes are assumptions
    cost_weight: list[NonNeg] = [1.0, 0.8, 0.4, 0.25]
    travel_weight: list[NonNeg] = [1.0, 1.0, 0.5, 0.5]
    beta_travel_per_hour: Coef = -0.9
    beta_wait_per_day: Coef = -0.35
    beta_delay_per_day: Coef = -0.5  # per day a pathway's referrals add before adequate care (assumption)
    delay_weight: list[NonNeg] = [0.0, 0.2, 1.0, 1.0]
    beta_referral: Coef = 1.5  # bonus for the facility one was referred to
    beta_contract_primary: Coef = 0.6  # family-doctor contract bonus for primary care
    # alternative-specific constants by tier for [village, township, county, tertiary]
    # village and township constants shifted together, fitted by `reformsim calibrate` on 30,000
    # residents, then shifted -0.5 to the primary share on the default county itself (docs/validation.md)
    asc_tier: list[Coef] = [0.966, 0.366, 0.35, 0.0]
    asc_self: list[Coef] = [1.3, -0.6, -3.5, -5.0]  # self-care by severity
    quality_slope: Annotated[float, Field(gt=0.0, le=20.0)] = 3.0  # perceived quality's steepness in skill - severity (assumption)
    trust_learning_rate: Share = 0.05
    trust_social_weight: Share = 0.0  # monthly pull of trust toward the village mean
    referral_bypass_penalty: Coef = 0.0  # extra disutility of bypassing primary care

    _i = field_validator("daily_income")(_fixed_len(3))
    _w = field_validator("cost_weight", "travel_weight", "delay_weight")(_fixed_len(N_SEVERITY))
    _t = field_validator("asc_tier")(_fixed_len(N_TIERS))
    _s = field_validator("asc_self")(_fixed_len(N_SEVERITY))


class FacilityParams(Section):
    """Staff, beds and throughput by facility kind (defaults shaped on sources: resources)."""

    # doctors of village clinics per 1,000 residents they serve: 1.12 M (licensed doctors and village
    # doctors) for 491 M rural residents, 2022 bulletin (DATA: 1.28 bn visits at ~3.2 a doctor a day);
    # seed 003's 1‰–1.2‰ is Panjin's minimum standard, half of it: at 1.1 the clinics could not
    # serve the village visits the bulletins count
    village_doctors_per_1000: NonNeg = 2.2
    township_senior: NonNeg = 3
    township_junior: NonNeg = 12
    township_nurses: NonNeg = 14
    township_beds: NonNeg = 40
    community_senior: NonNeg = 3
    community_junior: NonNeg = 10
    community_nurses: NonNeg = 10
    community_beds: NonNeg = 10
    # People's Hospital, TCM hospital: sized so the baseline county runs its beds near 90% full with
    # no one turned away (the 85-105% band; demand measured with beds to spare was 1.19x the
    # 2,150 beds first assumed), staff in proportion: 4.4 county-hospital beds per 1,000 residents,
    # 6.4 in all against 7.23 nationally (sources: resources)
    county_senior: list[NonNeg] = [204, 79]
    county_junior: list[NonNeg] = [363, 159]
    county_nurses: list[NonNeg] = [850, 340]
    county_beds: list[NonNeg] = [1700, 737]
    # the share of the prefecture hospital serving this county: sized, with its staff, so the
    # baseline's tertiary admissions (16% of the county's; 27% of complex ones, the rural Kadoorie
    # share of stroke and heart admissions being 27-29%) fill it near 90% (measured; sources: where
    # care happens)
    tertiary_senior: NonNeg = 142
    tertiary_junior: NonNeg = 178
    tertiary_nurses: NonNeg = 473
    tertiary_beds: NonNeg = 710
    # by tier: the most visits a doctor serves a day (capacity, calendar days). Doctors' mean workload
    # is 9.5 visits a working day in township centres and ~7 in hospitals (bulletins; 6.5 and 4.8 a
    # calendar day); village doctors see ~3.2 a day (1.28 bn visits, ~1.1 M village doctors). A mean
    # is served at the comfortable load (0.8), so capacity is the mean / 0.8 (4.0, 8.1, 6.0); the
    # tertiary hospital's specialist slots stay scarce (3.4: real waits, seed 002's reserved slots)
    visits_per_doctor_day: list[NonNeg] = [4.0, 8.1, 6.0, 3.4]
    # consultations keep their length up to this share of capacity; above it effective skill falls
    # (assumption: Chinese hospital doctors' mean load, 6-9 visits a day (bulletins), is near this share)
    comfortable_load: Share = 0.8
    congestion_skill_loss: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0  # skill lost per unit of load above it (assumption)
    load_memory_days: Annotated[float, Field(ge=1.0, le=365.0)] = 7.0  # days the load is smoothed over
    # capability index by tier; >= severity treats well. County hospitals attempt and treat most
    # complex cases: rural stroke and heart patients are 71-73% admitted below tertiary level
    # (sources: where care happens, Kadoorie Biobank); 3.0 puts 73% of the baseline's complex
    # admissions in the county (measured, docs/validation.md)
    base_skill: list[NonNeg] = [0.9, 1.3, 3.0, 3.4]
    senior_skill_gain: NonNeg = 1.6  # skill added by a township's senior-doctor share
    treat_success: Share = 0.92  # resolution probability when capable
    below_need_success: Share = 0.25  # when treating above one's capability
    # the fall of success between them: a logistic in skill - severity + success_offset, of slope
    # success_slope per skill unit (assumption: success halfway a fifth of a class below need, and
    # nearly full one class above it)
    success_slope: Annotated[float, Field(gt=0.0, le=100.0, allow_inf_nan=False)] = 8.0
    success_offset: Annotated[float, Field(ge=-2.0, le=2.0, allow_inf_nan=False)] = 0.2
    los_days: list[Annotated[float, Field(ge=0.0, le=365.0, allow_inf_nan=False)]] = [0.0, 6.0, 8.5, 10.5]  # mean length of stay by tier
    acute_fraction: Share = 0.5  # share of a stay that is acute (down-referral after it)
    # skill units above its skill at which a facility attempts a case rather than referring it up
    # with even odds under fee-for-service at the pre-reform prices (assumption: a third of a
    # severity class; the provider's keep response shifts it, agents/response.py)
    attempt_margin: Annotated[float, Field(ge=-2.0, le=2.0, allow_inf_nan=False)] = 0.35
    # how sharply a facility's willingness to attempt a case falls as its severity exceeds the
    # facility's skill (+ the attempt margin): the spread of difficulty within a severity class and
    # of doctors within a facility, in skill units (assumption: a tenth of a severity class)
    attempt_slope: Annotated[float, Field(gt=0.0, le=2.0, allow_inf_nan=False)] = 0.1
    # share of outpatient treatments after which the doctor asks the patient to come back (复诊), by
    # tier, under fee-for-service at the pre-reform prices (assumption; the provider response moves it)
    followup_share: list[Share] = [0.04, 0.08, 0.08, 0.08]
    # days after a discharge within which a new stay of the same episode counts as a readmission:
    # the window the published readmission rates use (EVIDENCE Y3, Y5: 30-day readmission)
    readmission_window_days: Annotated[int, Field(ge=1, le=365)] = 30

    # staffing norms of a bed by tier (agents/beds.py): the reference county's own establishment
    # (townships 15 doctors and 14 nurses for 40 beds; the TCM hospital, the leaner county hospital,
    # 273 and 390 for 845; the tertiary share 270 and 400 for 600), so its beds run fully staffed;
    # the national ratios are 0.47 doctors and 0.55 nurses per bed (sources: resources, 3.40 and 4.00
    # for 7.23 beds per 1,000)
    doctors_per_bed: list[NonNeg] = [0.0, 0.375, 0.32, 0.45]
    nurses_per_bed: list[NonNeg] = [0.0, 0.35, 0.46, 0.66]
    # below the norms, staffed beds = beds x (staff / norm) ** elasticity: 0.5 halves the loss, beds
    # being run thinner rather than closed (assumption)
    bed_staffing_elasticity: Share = 0.5
    # extra beds in corridors (加床) an emergency may take beyond the beds, as a share of them (assumption:
    # Chinese hospitals report occupancy above 100% where they add beds)
    extra_bed_share: Annotated[float, Field(ge=0.0, le=2.0, allow_inf_nan=False)] = 0.2
    # the longest wait for a discretionary admission patients accept before going elsewhere (days; assumption)
    max_bed_wait_days: Annotated[float, Field(ge=0.0, le=365.0, allow_inf_nan=False)] = 14.0
    # skill lost treating inpatients per unit of occupancy beyond the staffed beds (at 120%: -0.2;
    # assumption shaped on crowding studies: outcomes worsen beyond ~90% occupancy)
    crowding_skill_loss: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = 1.0
    # extra cost of a bed-day beyond the staffed beds, as a share of its price (overtime at 150% of pay; assumption)
    crowding_cost_share: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)] = 0.5


    _c = field_validator("county_senior", "county_junior", "county_nurses", "county_beds")(_fixed_len(2))
    _t = field_validator("visits_per_doctor_day", "base_skill", "los_days", "doctors_per_bed", "nurses_per_bed",
                         "followup_share")(_fixed_len(N_TIERS))


class PriceParams(Section):
    """Prices (¥) by tier. Sources: prices and costs (NHC 2022; bulletin 2022)."""

    visit_price: list[NonNeg] = [40.0, 85.0, 219.0, 354.0]
    # x LOS -> ~2,150 / 6,762 / 13,931 per stay; fitted by `reformsim calibrate` (docs/validation.md) (ratio matching)
    bed_day_price: list[NonNeg] = [0.0, 283.0, 655.0, 1070.0]
    visit_drug_share: list[Share] = [0.5, 0.45, 0.38, 0.38]
    visit_test_share: list[Share] = [0.1, 0.2, 0.3, 0.32]
    stay_drug_share: list[Share] = [0.0, 0.3, 0.24, 0.24]
    stay_test_share: list[Share] = [0.0, 0.15, 0.22, 0.24]
    # by tier: seed 001 removes the mark-up at public hospitals (county and above), seed 003's
    # essential-medicines system (基本药物制度) at township and village level; one number sets every tier
    drug_markup: list[Share] = [0.15, 0.15, 0.15, 0.15]
    service_multiplier: list[NonNeg] = [1.0, 1.0, 1.0, 1.0]
    drug_multiplier: list[NonNeg] = [1.0, 1.0, 1.0, 1.0]
    test_multiplier: list[NonNeg] = [1.0, 1.0, 1.0, 1.0]
    # how the lost mark-up is made up: service-price rise / government subsidy / internal savings (seed 001)
    markup_compensation: list[Share] = [0.8, 0.1, 0.1]

    _t = field_validator(
        "visit_price", "bed_day_price", "visit_drug_share", "visit_test_share", "stay_drug_share",
        "stay_test_share", "service_multiplier", "drug_multiplier", "test_multiplier", "drug_markup",
    )(_fixed_len(N_TIERS))

    @field_validator("drug_markup", mode="before")
    @classmethod
    def _every_tier(cls, v):
        """A single mark-up (a sweep's column, the visual's slider, a timeline event) is every tier's."""
        return [v] * N_TIERS if isinstance(v, int | float) and not isinstance(v, bool) else v

    @field_validator("markup_compensation")
    @classmethod
    def _comp(cls, v: list[float]) -> list[float]:
        if len(v) != 3 or abs(sum(v) - 1.0) > 1e-6:
            raise ValueError("needs 3 shares (price, subsidy, savings) summing to 1")
        return v

    @model_validator(mode="after")
    def _parts(self) -> PriceParams:
        for t in range(N_TIERS):
            if self.visit_drug_share[t] + self.visit_test_share[t] > 1 or self.stay_drug_share[t] + self.stay_test_share[t] > 1:
                raise ValueError(f"drug + test share exceeds 1 for tier {TIERS[t]}")
        return self


class SchemeParams(Section):
    """One insurance scheme: premiums and reimbursement (sources: insurance)."""

    premium_individual: NonNeg = 400.0
    premium_government: NonNeg = 670.0
    outpatient_ratio: list[Share] = [0.6, 0.5, 0.3, 0.2]
    inpatient_ratio: list[Share] = [0.0, 0.88, 0.78, 0.55]  # township 85–90, county 75–80, out of county 50–60
    deductible: list[NonNeg] = [0.0, 200.0, 500.0, 1000.0]  # per stay
    cap_per_stay: list[NonNeg] = [0.0, 30_000.0, 100_000.0, 150_000.0]
    no_referral_penalty: Share = 0.1  # ratio points lost at county/tertiary without a referral
    # share of premiums paid into members' personal accounts (个人账户), which pay their outpatient
    # out-of-pocket costs; the rest is the pooled fund (统筹基金). The resident scheme has none.
    personal_account_share: Share = 0.0

    _t = field_validator("outpatient_ratio", "inpatient_ratio", "deductible", "cap_per_stay")(_fixed_len(N_TIERS))


def _employee_scheme() -> SchemeParams:
    return SchemeParams(
        premium_individual=2000.0, premium_government=3800.0,
        outpatient_ratio=[0.7, 0.7, 0.5, 0.4], inpatient_ratio=[0.0, 0.92, 0.88, 0.8],
        deductible=[0.0, 200.0, 600.0, 1000.0], no_referral_penalty=0.05,
        personal_account_share=0.3,  # sources: insurance (the individual's 2% of wages and a part of the employer's, about 30%)
    )


class InsuranceParams(Section):
    resident: SchemeParams = SchemeParams()
    employee: SchemeParams = Field(default_factory=_employee_scheme)
    initial_fund_days: NonNeg = 90.0  # fund reserve at start, in days of premiums
    # critical-illness insurance (大病保险) for the resident scheme, an optional layer bought from
    # its pooled fund: yuan per member per year, and the share of a stay's out-of-pocket cost above
    # the threshold it pays (national rule: at least 50-60% above about half a resident's income; off by default)
    critical_illness_premium: NonNeg = 0.0
    critical_illness_threshold: NonNeg = 10_000.0
    critical_illness_ratio: Share = 0.0


class ResponseParams(Section):
    """How providers respond to their margins (``agents/response.py``).

    Each behaviour reads a *margin*: what one more unit of it (a day of stay, a test, a drug, an
    admission, a return visit ...) earns the decision-maker at the margin, less what it costs,
    as a share of the unit's pre-reform price, and compared with what it earned under
    fee-for-service at the pre-reform price list (where every behaviour is as calibrated). A
    multiplicative behaviour becomes ``exp(cap * tanh(elasticity * change / cap))``: elastic
    near the calibrated point, bounded by ``cap`` (log units) however large the change (clinical
    need limits how far payment can move care). A shift (keep, coding, self-pay, readiness,
    prevention) is ``cap * tanh(elasticity * change / cap)``. Sizes are fitted to the published
    effects named beside each (EVIDENCE rows; docs/levers.md).
    """

    # discretionary admissions per unit of the admission margin (DRG and budget studies: admissions
    # move by a few percent; EVIDENCE S3, S6, Y6): assumption sized to them
    admission_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 0.25
    admission_cap: Annotated[float, Field(ge=0.0, le=2.0)] = 0.3
    # length of stay per unit of the bed-day margin (DRG/DIP: LOS -5..-15%, EVIDENCE Y1, Y2; off-season +7..10%, S5)
    los_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 0.15
    los_cap: Annotated[float, Field(ge=0.0, le=2.0)] = 0.3
    # test intensity per unit of the test margin (EVIDENCE D1, S6: over-testing where tests pay)
    tests_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 0.25
    tests_cap: Annotated[float, Field(ge=0.0, le=2.0)] = 0.4
    # drug volume per unit of the drug margin (EVIDENCE D1: drug share of the bill -4 to -12 pp at zero mark-up)
    drugs_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    drugs_cap: Annotated[float, Field(ge=0.0, le=2.0)] = 0.35
    # tests ordered per unit of drug margin lost: zero mark-up is partly offset by more tests and
    # services (EVIDENCE D1: non-drug spending per outpatient visit +8 yuan)
    substitution: Annotated[float, Field(ge=0.0, le=10.0)] = 0.9
    # sending recovering inpatients down per unit of bed-day margin lost (down-referral rises
    # several-fold under case payment and budgets; EVIDENCE R1: +38.7% in Yancheng)
    down_referral_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 1.25
    down_referral_cap: Annotated[float, Field(ge=0.0, le=3.0)] = 1.5
    # skill margin (severity classes) before referring up, per unit of the margin of keeping a case
    # (a county budget that pays out-of-county bills keeps inpatients in county; EVIDENCE Y6)
    keep_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    keep_cap: Annotated[float, Field(ge=0.0, le=2.0)] = 0.5
    # chronic-disease prevention effort (0..cap) per unit of the claims a complication costs the
    # consortium (capitation rewards prevention; seed 004 Sanming): assumption
    prevention_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 1.5
    prevention_cap: Share = 0.6
    # upcoding: recorded case weight raised (share) per unit of the revenue a coded unit earns
    # (DRG/DIP upcoding raises the case-mix index 5-10%: EVIDENCE Y2)
    coding_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 0.1
    coding_cap: Share = 0.1
    # share of a stay's bill moved to self-pay items (自费) per unit of the margin that earns
    # outside the case rate or budget (EVIDENCE Y4, Y5: self-pay and out-of-pocket per case up)
    self_pay_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 0.05
    self_pay_cap: Share = 0.08
    # return visits the doctor asks for, per unit of the visit margin (EVIDENCE D3, D5, Y7)
    followup_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 0.6
    followup_cap: Annotated[float, Field(ge=0.0, le=3.0)] = 1.0
    # discharge readiness (log-odds of a stay's success) per unit of what a readmission loses the
    # provider (EVIDENCE Y3: 30-day readmission -3.2 pp under DIP with merged settlement)
    readiness_elasticity: Annotated[float, Field(ge=0.0, le=10.0)] = 1.0
    readiness_cap: Annotated[float, Field(ge=0.0, le=3.0)] = 0.6
    # supplier-induced demand: margin added per unit of (idle share of beds x bed-day margin)
    # (EVIDENCE S5: off-season cost per stay +5-8%, LOS +7-10%; S6)
    induced_demand: Annotated[float, Field(ge=0.0, le=20.0)] = 1.5
    # share of the admission response that reaches serious episodes' need of a bed, through the
    # rise of an admission's margin alone: part of a serious admission is the doctor's call. Sized
    # to DRG price changes: +10% price, about +1% patients treated, mostly emergency admissions
    # (Januleviciute et al., Norway 2003-07, Univ. Bergen WP 15/12); little volume, more coding
    # (Dafny, AER 2005). Half gives +1.3 to +2.8% county admissions for a 20% higher rate (assumption)
    serious_admission_share: Share = 0.5
    # target income: margin added per unit of log shortfall of revenue per unit of care
    # (volumes rise when prices or point values fall: EVIDENCE D3, Y2)
    income_effect: Annotated[float, Field(ge=0.0, le=20.0)] = 2.0
    # subsidy crowd-out: margin lost per unit of fixed subsidy as a share of a township centre's
    # salary bill, above the reference (EVIDENCE D5: +1 pp subsidy share, visits -1.2%, beds -3.5%)
    crowd_out: Annotated[float, Field(ge=0.0, le=20.0)] = 2.0
    # the coverage at which townships behave as calibrated: the default county's (60,000 yuan
    # per post against a mean township salary of about 88,000)
    crowd_out_reference: Annotated[float, Field(ge=0.0, le=10.0)] = 0.68


class PaymentParams(Section):
    """How the fund pays providers, and how providers respond at the margin (``agents/payment.py``,
    ``agents/response.py``)."""

    # ffs; capitation (a budget per resident to the consortium, 按人头打包/总额预算); drg (fixed case
    # rates, 按疾病分组); dip (points per case valued from a regional budget, 按病种分值)
    regime: Literal["ffs", "capitation", "drg", "dip"] = "ffs"
    # yuan per resident-scheme member per year paid to the consortium; None: set from the consortium's
    # residents' claims over the year before capitation starts, grown at budget_growth (seed 000:
    # 按人头打包 negotiated from past claims)
    capitation_per_resident: Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)] | None = None
    # claims per resident-scheme member per year the fund expects when capitation starts with less
    # than 30 days of claims behind it: the default county's baseline (measured over its first year
    # after the refit of 3 Dec 2026, 30,000 residents, seeds 1-3: 889-921; docs/levers.md)
    capitation_prior_claims: NonNeg = 900.0
    # yearly growth of a budget (capitation or DIP) from its base year (assumption: none, prices are fixed)
    budget_growth: Annotated[float, Field(ge=-0.5, le=1.0, allow_inf_nan=False)] = 0.0
    # share of the year's result the consortium keeps (结余留用) and bears (超支不补) before risk sharing
    capitation_retention: Share = 1.0
    capitation_risk_band: Share = 0.1  # fund shares deficits/surpluses beyond this share of the budget
    capitation_risk_share: Share = 0.5  # share of a deficit (surplus) beyond the band the fund tops up (takes back); assumption
    # how uncertain the consortium's projected result is, as a share of its budget: the risk band's
    # edges are felt over about this width, not at a point (assumption: a twentieth of the budget,
    # half the default band; agents/payment.py, ``stake``)
    capitation_risk_width: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] = 0.05
    # days of claims (or of DIP points) the fund needs before it sets a budget from them; with
    # fewer, a capitation budget starts at capitation_prior_claims and a DIP budget from the first
    # points earned at par (assumption: a month, the settlement period)
    min_history_days: Annotated[int, Field(ge=1, le=365)] = 30
    # how far the consortium's members weigh its pooled result against their own books (a tight
    # consortium, 紧密型医共体, manages its members' performance pay: assumption)
    consortium_cohesion: Share = 0.8
    # how far the lead hospital (总医院) passes its budget position to village and township
    # members: their bills are paid at 1 + pass-through x projected result / budget (assumption)
    member_pass_through: Annotated[float, Field(ge=0.0, le=5.0)] = 1.0
    # the most the lead hospital moves its members' rate either way, as a share of their bills
    # (assumption: it cannot starve or flood its members beyond about a third)
    member_rate_cap: Share = 0.3
    # case rates as a share of the expected pre-reform cost of the case at that hospital level
    # (rates per level calibrated to baseline cost; seed 003 按疾病分组)
    drg_rate_level: Annotated[float, Field(ge=0.0, le=5.0, allow_inf_nan=False)] = 1.0
    # share of the gap between a case rate and last year's cost per case closed each year
    # (payment standards are recomputed from recent cost data: assumption)
    drg_rebase: Share = 0.5
    # lowest tier paid per case in the county: 1 = every facility with beds (seed 004 Tongren), 2 = county hospitals (seed 003 Panjin)
    drg_from_tier: Annotated[int, Field(ge=1, le=2)] = 1
    # under capitation, the consortium pays its members per case (DRG) instead of per bill (seed 004 Tongren)
    consortium_pays_drg: bool = False
    # how the hospital outside the county is paid: by its own city's rules, not the county's
    out_of_county_regime: Literal["ffs", "drg"] = "ffs"
    # DIP: share of a case's points that follows the resources its treatment used (the rest is the
    # diagnosis's fixed score); DIP groups by diagnosis and procedure (assumption)
    dip_resource_share: Share = 0.6
    # a readmission to the same hospital within this many days is settled with the first stay
    # (no second case payment) under case payment (common DRG/DIP rule: assumption)
    readmission_merge_days: Annotated[int, Field(ge=0, le=90)] = 15
    # days over which providers feel their idle beds (an exponential average, agents/payment.py):
    # supplier-induced demand follows the month's occupancy, not one day's (assumption: a month,
    # the period EVIDENCE S5 compares off-season and peak over)
    idle_memory_days: Annotated[float, Field(ge=1.0, le=365.0, allow_inf_nan=False)] = 30.0
    # scales every provider response (0: providers ignore payment; 1: as the response parameters say)
    response_strength: Share = 1.0
    response: ResponseParams = ResponseParams()


class StaffParams(Section):
    """Staff transfers (县管乡用), training, recruitment, attrition and pay."""

    transfer_seniors_to_townships: Annotated[int, Field(ge=0, le=2000)] = 0  # seed 000: 46
    transfer_term_days: Annotated[int, Field(ge=1, le=3650)] = 365
    transfer_skill_lag_days: Annotated[int, Field(ge=0, le=730)] = 90
    # a new cohort takes over a posting with a handover: it starts this far into the ramp (assumption)
    transfer_handover: Share = 0.5
    training_person_times_per_year: NonNeg = 0.0  # seed 000: 16,318 over the programme
    training_skill_per_1000: NonNeg = 0.02  # township skill per 1,000 person-times (assumption)
    training_lag_days: Annotated[int, Field(ge=0, le=730)] = 180
    approved_primary_posts: NonNeg = 0.0  # extra 编制 filled over recruitment_years (seed 000: 212)
    recruitment_years: Annotated[float, Field(ge=0.1, le=50.0, allow_inf_nan=False)] = 3.0
    attrition_rate: Share = 0.04  # per year at reference pay (assumption)
    # bounded so pay ** -elasticity stays a sane attrition rate
    pay_index: list[Annotated[float, Field(ge=0.1, le=10.0, allow_inf_nan=False)]] = [1.0, 1.0, 1.0, 1.0]  # pay relative to reference, by tier (两个允许 raises it)
    attrition_pay_elasticity: Annotated[float, Field(ge=0.0, le=5.0, allow_inf_nan=False)] = 1.5
    tidal_share: Share = 0.0  # 潮汐式: share of county juniors moved to townships in peak months
    tidal_months: list[Annotated[int, Field(ge=1, le=12)]] = [1, 2, 12]
    salary_per_year: list[NonNeg] = [60_000.0, 110_000.0, 180_000.0, 260_000.0]  # per doctor, by tier
    nurse_salary_share: Share = 0.6  # a nurse's pay relative to a doctor's at the same tier (assumption)
    # share of doctors' pay that rises with the revenue they bill (pre-reform bonuses); seed 001 forbids
    # tying pay to drug/test revenue, seed 004 Sanming's post-based annual salary sets it to 0
    revenue_linked_pay: Share = 1.0

    _t = field_validator("pay_index", "salary_per_year")(_fixed_len(N_TIERS))


class PolicyParams(Section):
    """Levers not tied to one section above."""

    reserved_slot_share: Share = 0.0  # seed 002: 1/3 of tertiary (三级) outpatient slots, for contracted residents referred up (经转诊的签约居民)
    reserved_bed_share: Share = 0.0  # seed 002: 1/4 of tertiary (三级) beds, for the same
    contract_rate: Share = 0.25  # family-doctor contracting, whole population (assumption pre-reform)
    contract_rate_key: Share = 0.45  # elderly and chronic patients (seed 003 reform: 0.7308)
    mutual_recognition: Share = 0.0  # share of repeat tests avoided after referral
    # share of a stay's tests that repeat the visits' tests before it, so mutual recognition can
    # avoid them (assumption: half)
    stay_repeat_test_share: Share = 0.5
    telemedicine_skill: NonNeg = 0.0  # skill added to townships for common/serious episodes
    down_referral_base: Share = 0.08  # share of eligible inpatients sent down at FFS
    # the most of eligible inpatients sent down however strongly payment pushes: patients and
    # families refuse (EVIDENCE F5: 38% of patients willing to be referred down); assumption
    down_referral_cap: Share = 0.9
    # yuan per approved post of a township or community centre, doctors and nurses on its own
    # establishment (not county doctors on loan or on a tidal move) (一类财政保障)
    post_subsidy_per_year: NonNeg = 60_000.0
    # yuan per village doctor per year (public-health and essential-drug subsidies: assumption)
    village_doctor_subsidy_per_year: NonNeg = 15_000.0
    # basic public-health service funds, yuan per resident per year (2023 national standard: 89),
    # paid to the township or community centre serving the resident's home, or to the consortium
    # as one package (seed 004 Tongren)
    public_health_per_resident: NonNeg = 89.0
    public_health_to_consortium: bool = False
    secondary_fixed_subsidy: NonNeg = 20_000_000.0  # ¥/year to county hospitals
    chronic_management: Share = 0.0  # effort in chronic-disease management: fewer serious episodes in chronic patients
    county_support_skill: NonNeg = 0.0  # seed 004 Guangdong: skill tertiary partners add to county hospitals
    central_townships: Annotated[int, Field(ge=0, le=200)] = 0  # seed 004 Guangdong: centres raised to secondary level
    central_township_skill: NonNeg = 0.6  # skill an upgraded centre gains (assumption: most of the gap to a county hospital)


# Fields read once, when the county and its residents are built: on a timeline they would be
# accepted and then do nothing, so a timeline naming one (or an element of one) is refused
# (``build_time``). Each maps to the reason given in the error.
BUILD_TIME = {
    "county": "the county's size, geography and facilities are generated once",
    "population.employee_scheme_share": "residents' insurance schemes are drawn when they are generated",
    "population.employee_scheme_urban_share": "residents' insurance schemes are drawn when they are generated",
    "population.income_band_shares": "residents' income bands are drawn when they are generated",
    "population.initial_trust": "residents' trust is drawn when they are generated",
    "facilities.village_doctors_per_1000": "village clinics are staffed when the county is built",
    "insurance.initial_fund_days": "the fund's opening reserve is set on day 0",
    "life_expectancy_table": "the background life table is the county's, set when it is built",
    "mortality_decline": "residents' background deaths are drawn once, along the trend set from day 0",
}
# the staff and beds of each facility kind: levers on a generated county (``model/county.py``
# scales them the way it builds them); a facilities CSV gives its own, so there they are fixed too
ESTABLISHMENT = tuple(f"facilities.{kind}_{what}" for kind in ("township", "community", "county", "tertiary")
                      for what in ("senior", "junior", "nurses", "beds"))


def build_time(scn: Scenario, path: str) -> str | None:
    """Why the dotted ``path`` cannot change once the county is built (None if it can)."""
    for field, reason in BUILD_TIME.items():
        if path == field or path.startswith(field + "."):
            return reason
    if scn.county.facilities_csv and any(path == f or path.startswith(f + ".") for f in ESTABLISHMENT):
        return "a facilities CSV gives the county's staff and beds"
    return None


def refuse_build_time(scn: Scenario, path: str) -> None:
    """Raise ``ValueError`` naming ``path`` if it is fixed when the county is built (``build_time``)."""
    reason = build_time(scn, path)
    if reason:
        raise ValueError(f"timeline path '{path}': fixed when the county is built ({reason})")


class TimelineEvent(Section):
    """A lever change: ``path`` (dotted scenario field) takes ``value`` from ``day``."""

    day: Annotated[int, Field(ge=0, le=36_500)]
    path: str
    value: Any
    note: str = ""


class Scenario(Section):
    name: str = "custom"
    description: str = ""
    county: CountyParams = CountyParams()
    population: PopulationParams = PopulationParams()
    illness: IllnessParams = IllnessParams()
    behaviour: BehaviourParams = BehaviourParams()
    facilities: FacilityParams = FacilityParams()
    prices: PriceParams = PriceParams()
    insurance: InsuranceParams = InsuranceParams()
    payment: PaymentParams = PaymentParams()
    staff: StaffParams = StaffParams()
    policy: PolicyParams = PolicyParams()
    # background life table e0 at the start: below the county's level (~76, a Yunnan county) by the room
    # excess deaths from untreated and delayed care take (fitted; docs/validation.md)
    life_expectancy_table: Annotated[float, Field(ge=40, le=95)] = 77.05
    # yearly fall of background mortality (log rate): China's life expectancy rose 0.33 years a year
    # 2018-2024 (77.0 to 79.0; sources: life expectancy), amenable and other mortality alike (EVIDENCE
    # M3); 0.025 lifts the table's e0 0.31 years a year, the rest being left to care
    mortality_decline: Annotated[float, Field(ge=0.0, le=0.1, allow_inf_nan=False)] = 0.025
    timeline: list[TimelineEvent] = []

    @model_validator(mode="after")
    def _timeline_paths(self) -> Scenario:
        for ev in self.timeline:
            with_value(self, ev.path, ev.value)  # raises naming the path if wrong
            refuse_build_time(self, ev.path)
        return self

    def hash(self) -> str:
        """Stable short hash of the resolved parameters (rows carry it)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def with_value(scn: Scenario, path: str, value: Any) -> Scenario:
    """Return a copy of ``scn`` with the dotted ``path`` set to ``value``, validated.

    Raises ``ValueError`` naming the path when it does not exist or the value is invalid.
    """
    parts = path.split(".")
    data = scn.model_dump()
    node: Any = data
    for p in parts[:-1]:
        if not isinstance(node, dict) or p not in node:
            raise ValueError(f"timeline path '{path}': unknown field '{p}'")
        node = node[p]
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ValueError(f"timeline path '{path}': bad index '{last}'")
        node[int(last)] = value
    elif not isinstance(node, dict) or last not in node or last in ("timeline",):
        raise ValueError(f"timeline path '{path}': unknown field '{last}'")
    else:
        node[last] = value
    data["timeline"] = []
    try:
        out = Scenario.model_validate(data)
    except Exception as exc:  # pydantic.ValidationError
        raise ValueError(f"timeline path '{path}': {first_error(exc)}") from None
    # model_copy, not assignment: assigning would re-run the timeline validator, which calls
    # with_value again (infinite recursion for any scenario with a timeline)
    return out.model_copy(update={"timeline": scn.timeline})


def get_path(scn: Any, path: str) -> Any:
    """Read a dotted scenario field (list items by index), the mirror of ``with_value``."""
    for part in path.split("."):
        scn = scn[int(part)] if isinstance(scn, list) else getattr(scn, part)
    return scn


def first_error(exc: Exception) -> str:
    """One line naming the offending field of a pydantic ValidationError."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        e = errors()[0]
        loc = ".".join(str(x) for x in e["loc"])
        return f"{loc}: {e['msg']}" if loc else e["msg"]
    return str(exc).splitlines()[0]
