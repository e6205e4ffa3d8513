"""The seed report's own judgement on XSG-2023 — the evaluation team's reasoning for each
qualitative row (full marks throughout) and its explanation of the 2855.55 % revenue
completion — condensed from the report's 绩效评价指标分析. The demo records it through the
evaluators' route, so the demo's evaluation reproduces the seed's table."""

QUALITATIVE = {
    "basis_sufficiency": "项目符合《乌鲁木齐市市场主体培育三年行动方案（2023—2025 年）》（乌政办〔2023〕4 号）等工作要求，"
    "属于市工信局拟订促进中小企业发展政策措施的职责范围和一般公共财政支持范围；经走访座谈、查询文件资料核实，"
    "我市暂无针对小微企业“升规”的相关资金奖补，不存在类似或重复；市本级与各区（县）属共同事权且有明确分摊比例。",
    "approval_procedure": "项目按照《乌鲁木齐市工业企业“小升规”三年培育行动工作方案（2023—2025 年）》（乌政办〔2023〕77 号）"
    "和《乌鲁木齐市工业企业“小升规”专项资金管理办法》（乌工信运行〔2024〕10 号）规定的程序申请设立，审批文件、材料符合要求。",
    "target_reasonableness": "绩效目标按照产出、效益和满意度构建，具有明确性、可衡量性、可实现性、相关性和时限性，"
    "能较为全面地反映本项目的产出和效益。",
    "indicator_clarity": "绩效目标细化为 7 个三级指标并均设定了明确的指标值，数据来源于企业申报材料、财务报表、税务数据、"
    "统计部门企业名单和满意度问卷，与当年项目年度计划相对应。",
    "budget_soundness": "参考兰州、昆明、塔城等地“小升规”奖励政策，充分考虑市、区（县）财政能力，由市、区（县）财政按 1:1 "
    "比例奖励每家企业 20 万元，项目规模合理，成本测算科学合理。",
    "allocation_reasonableness": "经《关于拨付 2023 年度“小升规”专项奖补资金的通知》（乌财建〔2024〕169 号）批准，市本级预算 "
    "410 万元按每家企业 10 万元的统一标准精准分配至 41 家企业，预算与企业数量高度匹配，分配公平，拨付与监管流程简化。",
    "funds_use_compliance": "资金使用符合乌政办〔2023〕77 号和乌工信运行〔2024〕10 号的规定；拨付有市财政局乌财建〔2024〕169 号"
    "批复文件、国库集中支付凭证及各企业银行电子回单，不存在截留、挤占、挪用、虚列支出等情况。",
    "management_soundness": "已制定三年培育行动工作方案（乌政办〔2023〕77 号）和专项资金管理办法（乌工信运行〔2024〕10 号），"
    "制度合法、合规、完整，为项目顺利实施提供保障。",
    "execution_effectiveness": "经评价小组核查，项目严格遵守相关法律法规和管理规定，调整手续完备，管理合理有序，"
    "项目完成后及时将会计凭证、支付审批单等资料分类归档，制度执行有效。",
    # Judged only when the roster lacks one of the two years (otherwise computed).
    "above_scale_growth": "项目助力中小微工业企业扩大规模，提升产业链、供应链韧性，推动工业提质扩量增效，"
    "规模以上工业企业数量稳步增长，完全达到预期目标。",
}

DEVIATION_NOTES = {
    "awarded_enterprise_revenue": "一是根据《中华人民共和国统计法》，工业企业“小升规”的核心标准为主营业务收入≥2000 万元，"
    "绩效目标对应国家统计标准，旨在激励企业突破规模临界值，未设置营收上限，企业间规模存在自然差异属正常市场现象；"
    "二是 41 家企业中有两家由商业企业库转入工业，营业收入合计约占升规企业营收的 87%，较大程度拉高了平均营业收入。",
}
