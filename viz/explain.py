"""What the levers and scenarios mean, in English and 中文, for the explanations in the app.

Each lever has a label, one sentence on what it does *in the model* (docs/levers.md) and the
evidence behind it (docs/seeds.md for the reform documents, docs/sources.md for figures).
Scenario titles and descriptions follow experiments/scenarios/*.toml. Timeline entries name the
scenario field they change, so every field a built-in timeline uses has a label here.
"""

from __future__ import annotations

# lever key -> (label, what it does in the model, evidence), each (English, 中文)
LEVER_HELP: dict[str, tuple[tuple[str, str], tuple[str, str], tuple[str, str]]] = {
    "transfer_seniors": (
        ("Senior doctors lent to townships (县管乡用)", "下派乡镇的高级医师（县管乡用）"),
        ("County hospitals lend senior doctors to the township centres: township skill ramps up over months, "
         "county outpatient capacity falls at once.",
         "县级医院向乡镇卫生院借调高级医师：乡镇诊疗能力在数月内逐步提升，县级医院门诊能力当即下降。"),
        ("Seed 000: Chuxiong sent 46 backbone doctors to its 15 township branches.",
         "种子文件 000：楚雄市向 15 个乡镇分院派驻 46 名骨干医师。"),
    ),
    "township_inpatient_ratio": (
        ("Inpatient reimbursement: township", "住院报销比例：乡镇"),
        ("The share of a township stay that insurance pays; residents weigh what is left to pay when they "
         "choose where to go.", "医保支付乡镇住院费用的比例；居民选择就医机构时会权衡自付部分。"),
        ("NHSA 2023: 80.8% at primary level; county schemes 85–90% (docs/sources.md, insurance).",
         "国家医保局 2023：基层 80.8%；县级方案通常为 85–90%（来源文件“医保”一节）。"),
    ),
    "county_inpatient_ratio": (
        ("Inpatient reimbursement: county", "住院报销比例：县级"),
        ("The share of a county-hospital stay that insurance pays, which enters residents' choice.",
         "医保支付县级医院住院费用的比例，影响居民的就医选择。"),
        ("NHSA 2023: 72.4% at secondary level; county schemes 75–80%.", "国家医保局 2023：二级医院 72.4%；县级方案通常为 75–80%。"),
    ),
    "outside_inpatient_ratio": (
        ("Inpatient reimbursement: out of county", "住院报销比例：县外"),
        ("The share of a stay at the tertiary hospital outside the county that insurance pays.",
         "医保支付县外三级医院住院费用的比例。"),
        ("NHSA 2023: 63.2% at tertiary level; out of county 50–60% is typical.", "国家医保局 2023：三级医院 63.2%；县外通常为 50–60%。"),
    ),
    "no_referral_penalty": (
        ("Reimbursement lost without a referral", "未经转诊降低的报销比例"),
        ("At county or tertiary level, a resident without a referral letter is reimbursed this much less.",
         "在县级或三级医院就诊而无转诊单的居民，报销比例降低此数值。"),
        ("Seed 001: first contact at primary care and two-way referral; the size is an assumption.",
         "种子文件 001：基层首诊、双向转诊；降低幅度为假设值。"),
    ),
    "drug_markup": (
        ("Drug mark-up (0 = zero mark-up)", "药品加成（0 即零差率）"),
        ("Drug prices at every tier carry this mark-up; removing it is made up by service prices, a subsidy and "
         "savings (80/10/10).", "各级机构药品价格均含此加成；取消加成的损失由服务价格、财政补助和内部节约按 80/10/10 弥补。"),
        ("Seeds 001 and 003: 15% before reform, then zero mark-up (药品零差率).", "种子文件 001、003：改革前加成 15%，改革后药品零差率。"),
    ),
    "payment_regime": (
        ("How providers are paid", "医保支付方式"),
        ("Fee for service pays each item; capitation pays the consortium a budget per resident; DRG pays per "
         "admission. Providers respond at the margin: admissions, length of stay, tests, down-referral.",
         "按项目付费按服务项目支付；按人头打包向医共体按居民人数拨付预算；按病种付费按每次住院支付。"
         "医疗机构在边际上作出反应：住院、住院天数、检查和向下转诊。"),
        ("Seed 000: per-capita bundle to the consortium (按人头打包); seed 003 Panjin: payment by disease group.",
         "种子文件 000：医保基金按人头打包支付给医共体；种子文件 003 盘锦：按疾病分组付费。"),
    ),
    "reserved_slots": (
        ("Outpatient slots reserved for referrals", "为转诊预留的门诊号源"),
        ("Tertiary hospitals keep this share of slots for contracted residents their family doctor refers, who "
         "then wait less while others may wait more.", "三级医院为经基层转诊的签约居民预留此比例号源，他们候诊更短，其他人可能更长。"),
        ("Seed 002: at least one third of slots for primary referrals.", "种子文件 002：至少三分之一号源留给基层转诊。"),
    ),
    "reserved_beds": (
        ("Beds reserved for referrals", "为转诊预留的床位"),
        ("Tertiary hospitals hold this share of beds for contracted residents their family doctor refers.",
         "三级医院为经基层转诊的签约居民保留此比例床位。"),
        ("Seed 002: at least one quarter of beds.", "种子文件 002：至少四分之一床位。"),
    ),
    "contract_rate": (
        ("Family-doctor contract rate", "家庭医生签约率"),
        ("Contracted residents prefer primary care and get priority for reserved slots and beds.",
         "签约居民更倾向于基层就医，并可优先使用预留号源和床位。"),
        ("Seed 003 Panjin: 39.85% of residents, 73.08% of key populations.", "种子文件 003 盘锦：签约率 39.85%，重点人群 73.08%。"),
    ),
}

# option of the payment-regime lever -> (English, 中文)
OPTION_LABELS: dict[str, tuple[str, str]] = {
    "ffs": ("Fee for service", "按项目付费"),
    "capitation": ("Capitation (consortium budget)", "按人头总额打包（医共体）"),
    "drg": ("DRG (per admission)", "按病种（DRG）付费"),
}

# built-in scenario -> (title, description), each (English, 中文)
SCENARIO_INFO: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "baseline": (("Pre-reform baseline", "改革前基线"),
                 ("Fee for service, 15% drug mark-up, no transfers or reserved capacity.",
                  "按项目付费，药品加成 15%，无人员下派、无预留资源。")),
    "chuxiong_five_ones": (("Chuxiong: the “five ones”", "楚雄市“五个一”"),
                           ("Seed 000: 46 doctors to 15 townships, training, 212 posts, pay, capitation, from day 365.",
                            "种子文件 000：46 名医师下派 15 个乡镇、培训、212 个编制、薪酬、按人头打包，自第 365 天起。")),
    "chuxiong_city_group": (("Chuxiong: city medical group", "楚雄州城市医疗集团"),
                            ("Seed 002: a third of slots and a quarter of beds reserved for referrals, mutual "
                             "recognition of tests, a global budget.",
                             "种子文件 002：三分之一号源和四分之一床位留给转诊，检查结果互认，总额预算。")),
    "panjin": (("Panjin: primary-care reform", "盘锦基层医改"),
               ("Seed 003: payment by disease group from county level up, family-doctor contracts, zero mark-up, "
                "telemedicine.", "种子文件 003：县级及以上按疾病分组付费，家庭医生签约，药品零差率，远程医疗。")),
    "sanming": (("Sanming", "三明医改"),
                ("Seed 004: annual salaries, price adjustment, a bundled county fund, chronic-disease management.",
                 "种子文件 004：年薪制，价格调整，县域医保基金打包，慢病管理。")),
    "tongren": (("Tongren", "铜仁医改"),
                ("Seed 004: added posts, per-case payment at every facility inside a county global budget, "
                 "subsidy, mutual recognition.", "种子文件 004：增加编制，县域总额预算内各机构按病种付费，财政补助，检查互认。")),
    "chongqing": (("Chongqing", "重庆医改"),
                  ("Seed 004: county hires, township uses (县聘乡用); tidal staff deployment; remote diagnosis.",
                   "种子文件 004：县聘乡用，潮汐式人员调配，远程诊断。")),
    "guangdong": (("Guangdong", "广东医改"),
                  ("Seed 004: tertiary support to county hospitals, central townships raised to secondary level, "
                   "telemedicine.", "种子文件 004：三级医院帮扶县级医院，中心乡镇卫生院提升为二级，远程医疗。")),
    "shenzhen": (("Shenzhen", "深圳医改"),
                 ("Seed 004: an urban district with a community centre per 20,000 residents; a hospital group runs "
                  "the centres on a budget that keeps its surplus and sends specialists into them.",
                  "种子文件 004：城区每 2 万人一个社区健康服务中心；医院集团举办社康中心，总额预算结余留用，专科医生下沉社康。")),
    "yancheng": (("Yancheng", "盐城医改"),
                 ("Seed 004: bundled payment to tight consortia, pay reform, service prices, telemedicine, stronger "
                  "hospitals, referral centres, prevention joined with care.",
                  "种子文件 004：紧密型医共体打包付费，薪酬改革，医疗服务价格调整，远程医疗，提升医院能力，转诊中心，医防融合。")),
}

# scenario field changed by a timeline -> (English, 中文)
PATH_LABELS: dict[str, tuple[str, str]] = {
    "facilities.county_senior": ("county hospital senior doctors", "县级医院高年资医生"),
    "facilities.county_junior": ("county hospital junior doctors", "县级医院低年资医生"),
    "facilities.county_nurses": ("county hospital nurses", "县级医院护士"),
    "facilities.county_beds": ("county hospital beds", "县级医院床位"),
    "facilities.tertiary_senior": ("tertiary hospital senior doctors", "三级医院高年资医生"),
    "facilities.tertiary_junior": ("tertiary hospital junior doctors", "三级医院低年资医生"),
    "facilities.tertiary_nurses": ("tertiary hospital nurses", "三级医院护士"),
    "facilities.tertiary_beds": ("tertiary hospital beds", "三级医院床位"),
    "facilities.township_senior": ("township centre senior doctors", "乡镇卫生院高年资医生"),
    "facilities.township_junior": ("township centre junior doctors", "乡镇卫生院低年资医生"),
    "facilities.township_nurses": ("township centre nurses", "乡镇卫生院护士"),
    "facilities.township_beds": ("township centre beds", "乡镇卫生院床位"),
    "facilities.community_senior": ("community centre senior doctors", "社区卫生服务中心高年资医生"),
    "facilities.community_junior": ("community centre junior doctors", "社区卫生服务中心低年资医生"),
    "facilities.community_nurses": ("community centre nurses", "社区卫生服务中心护士"),
    "facilities.community_beds": ("community centre beds", "社区卫生服务中心床位"),
    "illness.visitors_by_month": ("visitors by month", "各月外来人口"),
    "payment.capitation_risk_band": ("capitation risk band", "按人头打包风险分担区间"),
    "payment.consortium_pays_drg": ("consortium pays members per case", "医共体按病种向成员单位支付"),
    "payment.drg_from_tier": ("per-case payment from tier", "按病种付费起始层级"),
    "policy.central_townships": ("central townships upgraded", "提升的中心乡镇卫生院数"),
    "policy.chronic_management": ("chronic-disease management", "慢病管理"),
    "policy.contract_rate_key": ("contract rate, key populations", "重点人群签约率"),
    "policy.county_support_skill": ("tertiary support to county hospitals", "三级医院对县级医院的帮扶"),
    "policy.mutual_recognition": ("mutual recognition of tests", "检查检验结果互认"),
    "policy.post_subsidy_per_year": ("subsidy per primary post", "基层编制财政补助"),
    "policy.secondary_fixed_subsidy": ("fixed subsidy to county hospitals", "县级医院定额补助"),
    "policy.telemedicine_skill": ("telemedicine", "远程医疗"),
    "prices.drug_multiplier": ("drug prices", "药品价格"),
    "prices.markup_compensation": ("mark-up compensation", "取消加成的补偿"),
    "prices.service_multiplier": ("service prices", "医疗服务价格"),
    "staff.approved_primary_posts": ("approved primary posts", "基层核定编制"),
    "staff.pay_index": ("pay", "薪酬水平"),
    "staff.recruitment_years": ("recruitment period", "招聘年限"),
    "staff.revenue_linked_pay": ("pay linked to revenue", "与收入挂钩的薪酬"),
    "staff.tidal_months": ("tidal deployment months", "潮汐式调配月份"),
    "staff.tidal_share": ("tidal deployment share", "潮汐式调配比例"),
    "staff.training_person_times_per_year": ("training", "培训人次"),
    "staff.transfer_term_days": ("posting term", "下派期限"),
}
