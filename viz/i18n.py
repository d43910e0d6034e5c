"""Labels of the visual in English and Chinese (中文), and the language the session shows.

Every string a planner reads goes through ``t(key)``; a missing key or language raises
``KeyError`` so that a forgotten translation fails the tests instead of showing a blank.
"""

from __future__ import annotations

import solara

LANGUAGES = ("en", "zh")

# key -> (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    # page and sections
    "title": ("County health reform simulator", "县域医改仿真"),
    "language": ("Language", "语言"),
    "targets": ("2025 targets", "2025年目标"),
    "levers": ("Reform levers (applied from today)", "改革杠杆（自今日起生效）"),
    "network": ("Referral network", "转诊网络"),
    "target_series": ("Targets over time", "目标指标走势"),
    "money_series": ("Money", "资金"),
    "facility": ("Facility", "医疗机构"),
    "compare": ("Compare mode", "对比模式"),
    "compare_hint": (
        "Two scenarios run side by side with the same seed: differences are the policy's effect.",
        "两个情景使用同一随机种子并行运行：差异即为政策效果。",
    ),
    "next_tab_hint": ("Compare mode is on Page 1.", "对比模式在 Page 1 页。"),
    # model parameters (sidebar)
    "scenario": ("Scenario", "情景"),
    "population": ("Population (residents)", "人口（居民数）"),
    "seed": ("Random seed", "随机种子"),
    # status
    "day": ("Day", "第几天"),
    "year": ("Year", "年"),
    "residents": ("Residents", "居民"),
    "met": ("met", "达标"),
    "not_met": ("not met", "未达标"),
    "target_is": ("target", "目标"),
    "no_data": ("not yet measured", "尚无数据"),
    "last_year_note": ("over the last simulated year", "按最近一个模拟年统计"),
    # targets
    "primary_visit_share": ("Primary-care visit share", "基层就诊率"),
    "county_internal_visit_share": ("County-internal care", "县域内就诊率"),
    "life_expectancy": ("Life expectancy", "人均预期寿命"),
    # money
    "fund_balance": ("Insurance fund balance (¥ million)", "医保基金结余（百万元）"),
    "oop_share": ("Out-of-pocket share of bills", "个人自付比例"),
    "provider_surplus": ("Provider surplus, cumulative (¥ million)", "医疗机构累计结余（百万元）"),
    "surplus_township": ("Township centres' surplus, cumulative (¥ million)", "乡镇卫生院累计结余（百万元）"),
    "surplus_county": ("County hospitals' surplus, cumulative (¥ million)", "县级医院累计结余（百万元）"),
    # tiers
    "village": ("Village clinic", "村卫生室"),
    "township": ("Township centre", "乡镇卫生院"),
    "county": ("County hospital", "县级医院"),
    "tertiary": ("Out-of-county hospital", "县外医院"),
    # flows
    "flow_up": ("Referrals up", "向上转诊"),
    "flow_down": ("Referrals down", "向下转诊"),
    "flow_bypass": ("Bypass (minor illness to county+)", "越级就诊（小病去县级以上）"),
    "node_size_note": ("node size: visits, last 30 days", "节点大小：近30天门诊量"),
    "lever_change": ("lever changed", "杠杆调整"),
    # levers
    "transfer_seniors": ("Senior doctors sent to townships (full-county equivalent)", "下派乡镇高级医师（全县口径）"),
    "transfer_now": ("in this scaled county", "本缩放县实际"),
    "township_inpatient_ratio": ("Inpatient reimbursement: township", "住院报销比例：乡镇"),
    "county_inpatient_ratio": ("Inpatient reimbursement: county", "住院报销比例：县级"),
    "outside_inpatient_ratio": ("Inpatient reimbursement: out of county", "住院报销比例：县外"),
    "no_referral_penalty": ("Reimbursement lost without referral", "未经转诊报销降低"),
    "drug_markup": ("Drug mark-up (0 = zero mark-up)", "药品加成（0 = 零加成）"),
    "payment_regime": ("Payment regime", "支付方式"),
    "ffs": ("Fee for service", "按项目付费"),
    "capitation": ("Capitation (consortium budget)", "按人头总额打包（医共体）"),
    "drg": ("DRG", "按病种（DRG）付费"),
    "reserved_slots": ("Reserved outpatient slots for referrals", "预留转诊门诊号源"),
    "reserved_beds": ("Reserved beds for referrals", "预留转诊床位"),
    "contract_rate": ("Family-doctor contract rate", "家庭医生签约率"),
    # facility panel
    "choose_facility": ("Choose a facility", "选择医疗机构"),
    "visits_today": ("Visits today", "今日门诊量"),
    "capacity": ("Outpatient capacity / day", "日门诊容量"),
    "wait_days": ("Wait (days)", "候诊天数"),
    "doctors": ("Doctors (senior / junior / village)", "医生（高级/初级/村医）"),
    "on_loan": ("Senior doctors on loan (+ in, − out)", "借调高级医师（+调入，−调出）"),
    "nurses": ("Nurses", "护士"),
    "beds": ("Beds (occupied / total)", "床位（占用/总数）"),
    "revenue": ("Revenue, cumulative (¥)", "累计收入（元）"),
    "surplus": ("Surplus, cumulative (¥)", "累计结余（元）"),
    "skill": ("Capability index", "诊疗能力指数"),
    "visits_history": ("Visits per day", "每日门诊量"),
    # compare
    "side_a": ("A", "方案A"),
    "side_b": ("B", "方案B"),
    "difference": ("Difference B − A", "差异 B − A"),
    "new_comparison": ("Start comparison", "开始对比"),
    "step_days": ("Days per step", "每步天数"),
    "step": ("Step", "前进"),
    "play": ("Play", "播放"),
    "pause": ("Pause", "暂停"),
    "wait_county": ("County hospital wait (days)", "县级医院候诊天数"),
    "wait_township": ("Township wait (days)", "乡镇候诊天数"),
    "metric": ("Metric", "指标"),
}

lang = solara.reactive("en")


def t(key: str, language: str | None = None) -> str:
    """The label ``key`` in ``language`` (default: the session's current language)."""
    language = language or lang.value
    return TEXT[key][LANGUAGES.index(language)]


@solara.component
def LanguageToggle() -> None:
    """中文 / English switch; every label that calls ``t`` re-renders when it changes."""
    with solara.ToggleButtonsSingle(value=lang.value, on_value=lang.set, classes=["reformsim-lang"]):
        solara.Button("English", value="en", text=True, classes=["lang-en"])
        solara.Button("中文", value="zh", text=True, classes=["lang-zh"])
