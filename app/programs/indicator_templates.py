"""Indicator-table templates (绩效目标模板) as plain data.

A programme copies one template into its own indicator table when it is created; the
targets that depend on the programme (enterprise count, revenue threshold, award) are
filled in then. The wording of 指标解释 (explanation) and 指标说明/评价要点 (checkpoints) is
taken from the seed report's indicator table (2023 年度“小升规”专项奖补资金项目支出绩效评价
指标体系); the few phrases that name the seed's own cohort are placeholders filled from the
programme, so the seed programme gets the seed's text back word for word.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.core.money import FEN_PER_WAN

# Where a target value comes from: a constant, or one of the programme's parameters.
FROM_TARGET_ENTERPRISE_COUNT = "target_enterprise_count"
FROM_REVENUE_THRESHOLD_WAN = "revenue_threshold_wan"
FROM_CITY_AWARD_WAN = "city_award_wan"


@dataclass(frozen=True)
class TargetSpec:
    op: str  # ">=" | "=" | "<="
    value: Decimal | str  # a constant, or one of the FROM_* names above
    unit: str


@dataclass(frozen=True)
class IndicatorSpec:
    key: str
    level1: str
    level2: str
    name: str
    weight: int
    kind: str  # quantitative | qualitative
    target: TargetSpec | None
    checkpoints: str
    explanation: str


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    # Highest band first; a total at or above a band's minimum gets that grade.
    grade_bands: tuple[tuple[str, int], ...]
    rows: tuple[IndicatorSpec, ...]


def _lines(*items: str) -> str:
    return "\n".join(items)


# The merged cell the seed's two 数量指标 rows share.
_QUANTITY_NOTE = (
    "该指标通过统计实际获得奖补的企业数量，直观反映政策覆盖广度；“小升规”企业年营业收入则作为规模判定依据，"
    "明确企业升级门槛（根据《中华人民共和国统计法》明确，工业企业“小升规”的核心标准为主营业务收入≥2000万元），"
    "二者结合可衡量政策对培育规模企业、促进经济增长的实际成效。"
)
_QUANTITY_EXPLANATION = "项目完成的数量考核指标，用以反映和考核项目产出数量目标的实现程度，是判定企业规模升级及奖补资格的核心经济指标。"

_PERCENT_100 = Decimal(100)

XSG_ROWS: tuple[IndicatorSpec, ...] = (
    # ---------------------------------------------------------------- 决策 20
    IndicatorSpec(
        key="basis_sufficiency", level1="决策", level2="项目立项", name="立项依据充分性", weight=4,
        kind="qualitative", target=None,
        explanation="项目立项是否符合法律法规、相关政策、发展规划以及部门职责，用以反映和考核项目立项依据情况。",
        checkpoints=_lines(
            "①项目立项是否符合国家法律法规、国民经济发展规划和相关政策；",
            "②项目立项是否符合行业发展规划和政策要求；",
            "③项目立项是否与部门职责范围相符，属于部门履职所需；",
            "④项目是否属于公共财政支持范围，是否符合中央、地方事权支出责任划分原则；",
            "⑤项目是否与相关部门同类项目或部门内部相关项目重复。",
        ),
    ),
    IndicatorSpec(
        key="approval_procedure", level1="决策", level2="项目立项", name="立项程序规范性", weight=4,
        kind="qualitative", target=None,
        explanation="项目申请、设立过程是否符合相关要求，用以反映和考核项目立项的规范情况。",
        checkpoints=_lines(
            "①项目是否按照规定的程序申请设立；",
            "②审批文件、材料是否符合相关要求；",
            "③事前是否已经过必要的可行性研究、专家论证、风险评估、绩效评估、集体决策。",
        ),
    ),
    IndicatorSpec(
        key="target_reasonableness", level1="决策", level2="绩效目标", name="绩效目标合理性", weight=3,
        kind="qualitative", target=None,
        explanation="项目所设定的绩效目标是否依据充分，是否符合客观实际，用以反映和考核项目绩效目标与项目实施的相符情况。",
        checkpoints=_lines(
            "（如未设定预算绩效目标，也可考核其他工作任务目标）",
            "①项目是否有绩效目标；",
            "②项目绩效目标与实际工作内容是否具有相关性；",
            "③项目预期产出效益和效果是否符合正常的业绩水平；",
            "④是否与预算确定的项目投资额或资金量相匹配。",
        ),
    ),
    IndicatorSpec(
        key="indicator_clarity", level1="决策", level2="绩效目标", name="绩效指标明确性", weight=3,
        kind="qualitative", target=None,
        explanation="依据绩效目标设定的绩效指标是否清晰、细化、可衡量等，用以反映和考核项目绩效目标的明细化情况。",
        checkpoints=_lines(
            "①是否将项目绩效目标细化分解为具体的绩效指标；",
            "②是否通过清晰、可衡量的指标值予以体现；",
            "③是否与项目目标任务数或计划数相对应。",
        ),
    ),
    IndicatorSpec(
        key="budget_soundness", level1="决策", level2="资金投入", name="预算编制科学性", weight=3,
        kind="qualitative", target=None,
        explanation="项目预算编制是否经过科学论证、有明确标准，资金额度与年度目标是否相适应，用以反映和考核项目预算编制的科学性、合理性情况。",
        checkpoints=_lines(
            "①预算编制是否经过科学论证；",
            "②预算内容与项目内容是否匹配；",
            "③预算额度测算依据是否充分，是否按照标准编制；",
            "④预算确定的项目投资额或资金量是否与工作任务相匹配。",
        ),
    ),
    IndicatorSpec(
        key="allocation_reasonableness", level1="决策", level2="资金投入", name="资金分配合理性", weight=3,
        kind="qualitative", target=None,
        explanation="项目预算资金分配是否有测算依据，与补助单位或地方实际是否相适应，用以反映和考核项目预算资金分配的科学性、合理性情况。",
        checkpoints=_lines(
            "①预算资金分配依据是否充分；",
            "②资金分配额度是否合理，与项目单位或地方实际是否相适应。",
        ),
    ),
    # ---------------------------------------------------------------- 过程 20
    IndicatorSpec(
        key="funds_arrival_rate", level1="过程", level2="资金管理", name="资金到位率", weight=5,
        kind="quantitative", target=TargetSpec(">=", _PERCENT_100, "%"),
        explanation="实际到位资金与预算资金的比率，用以反映和考核资金落实情况对项目实施的总体保障程度。",
        checkpoints=_lines(
            "资金到位率=（实际到位资金/预算资金）×100%。",
            "实际到位资金：一定时期（本年度或项目期）内落实到具体项目的资金。",
            "预算资金：一定时期（本年度或项目期）内预算安排到具体项目的资金。",
        ),
    ),
    IndicatorSpec(
        key="budget_execution_rate", level1="过程", level2="资金管理", name="预算执行率", weight=5,
        kind="quantitative", target=TargetSpec(">=", _PERCENT_100, "%"),
        explanation="项目预算资金是否按照计划执行，用以反映或考核项目预算执行情况。",
        checkpoints=_lines(
            "预算执行率=（实际支出资金/实际到位资金）×100%。",
            "实际支出资金：一定时期（本年度或项目期）内项目实际拨付的资金。",
        ),
    ),
    IndicatorSpec(
        key="funds_use_compliance", level1="过程", level2="资金管理", name="资金使用合规性", weight=3,
        kind="qualitative", target=None,
        explanation="项目资金使用是否符合相关的财务管理制度规定，用以反映和考核项目资金的规范运行情况。",
        checkpoints=_lines(
            "①是否符合国家财经法规和财务管理制度以及有关专项资金管理办法的规定；",
            "②资金的拨付是否有完整的审批程序和手续；",
            "③是否符合项目预算批复或合同规定的用途；",
            "④是否存在截留、挤占、挪用、虚列支出等情况。",
        ),
    ),
    IndicatorSpec(
        key="management_soundness", level1="过程", level2="组织实施", name="管理制度健全性", weight=3,
        kind="qualitative", target=None,
        explanation="项目实施单位的财务和业务管理制度是否健全，用以反映和考核财务和业务管理制度对项目顺利实施的保障情况。",
        checkpoints=_lines(
            "①是否已制定或具有相应的财务和业务管理制度；",
            "②财务和业务管理制度是否合法、合规、完整。",
        ),
    ),
    IndicatorSpec(
        key="execution_effectiveness", level1="过程", level2="组织实施", name="制度执行有效性", weight=4,
        kind="qualitative", target=None,
        explanation="项目实施是否符合相关管理规定，用以反映和考核相关管理制度的有效执行情况。",
        checkpoints=_lines(
            "①是否遵守相关法律法规和相关管理规定；",
            "②项目调整及支出调整手续是否完备；",
            "③项目合同书、验收报告、技术鉴定等资料是否齐全并及时归档；",
            "④项目实施的人员条件、场地设备、信息支撑等是否落实到位。",
        ),
    ),
    # ---------------------------------------------------------------- 产出 50
    IndicatorSpec(
        key="awarded_enterprise_count", level1="产出", level2="数量指标", name="“小升规”专项奖补企业数量", weight=10,
        kind="quantitative", target=TargetSpec("=", FROM_TARGET_ENTERPRISE_COUNT, "家"),
        explanation=_QUANTITY_EXPLANATION,
        checkpoints=_QUANTITY_NOTE,
    ),
    IndicatorSpec(
        key="awarded_enterprise_revenue", level1="产出", level2="数量指标", name="“小升规”企业年营业收入", weight=10,
        kind="quantitative", target=TargetSpec(">=", FROM_REVENUE_THRESHOLD_WAN, "万元/家"),
        explanation=_QUANTITY_EXPLANATION,
        checkpoints=_QUANTITY_NOTE,
    ),
    IndicatorSpec(
        key="funds_compliance_rate", level1="产出", level2="质量指标", name="资金使用合规率", weight=10,
        kind="quantitative", target=TargetSpec("=", _PERCENT_100, "%"),
        explanation="项目资金使用是否合法合规，用以反映项目产出质量目标的实现程度。",
        checkpoints="该指标主要用于衡量“小升规”企业奖补资金在预算执行、拨付流程、使用范围等方面是否符合财政法规及政策规定的程度，"
        "确保资金使用合法规范、精准高效。",
    ),
    IndicatorSpec(
        key="disbursement_timeliness_rate", level1="产出", level2="时效指标", name="资金拨付及时率", weight=10,
        kind="quantitative", target=TargetSpec("=", _PERCENT_100, "%"),
        explanation="项目资金兑付是否及时有效，用以反映项目产出时效目标的实现程度。",
        checkpoints="该指标主要用于衡量“小升规”企业奖补资金在规定时间内完成拨付的比例，体现奖补资金兑现的时效性与执行效率。",
    ),
    IndicatorSpec(
        key="award_per_enterprise", level1="产出", level2="成本指标", name="“小升规”企业奖补资金", weight=10,
        kind="quantitative", target=TargetSpec("=", FROM_CITY_AWARD_WAN, "万元/家"),
        explanation="项目实施的主要绩效指标，用于奖励首次升规企业的专项资金额度。",
        # Verbatim, including the seed's own wording (给与, 于).
        checkpoints="该指标主要反映对“小升规”企业给与奖补的财政资金投入总量，是评估政策扶持力度于资源配置效率的关键成本参数。",
    ),
    # ---------------------------------------------------------------- 效益 5
    # Stored as quantitative; the evaluation falls back to a qualitative judgement when the
    # roster does not cover both the cohort year and the year before.
    IndicatorSpec(
        key="above_scale_growth", level1="效益", level2="社会效益指标", name="规模以上工业企业数量稳步增长", weight=5,
        kind="quantitative", target=TargetSpec(">=", _PERCENT_100, "%"),
        explanation="项目实施所产生的效益。",
        checkpoints="预期效益显著性，有效激发工业经济发展活力和创造力，有力促进中小微工业企业更加平稳健康地发展，"
        "提高企业的生产效率和盈利能力，能促进地方经济的发展。",
    ),
    # ---------------------------------------------------------------- 满意度 5
    IndicatorSpec(
        key="beneficiary_satisfaction", level1="满意度", level2="满意度指标", name="奖补企业满意度", weight=5,
        kind="quantitative", target=TargetSpec(">=", Decimal(90), "%"),
        explanation="服务对象对项目实施效果的满意程度。",
        checkpoints="对{cohort_year}年度首次升规的{target_enterprise_count}家企业，通过设置问卷调查的方式，"
        "开展“小升规”专项奖补资金项目满意度评价工作。",
    ),
)

TEMPLATES: dict[str, Template] = {
    "xsg-default": Template(
        key="xsg-default",
        title="“小升规”专项奖补资金绩效评价指标体系（乌鲁木齐市 2023 年度评价报告）",
        # The seed: 90（含）-100 优、80（含）-90 良、70（含）-80 中、70 分以下差.
        grade_bands=(("优", 90), ("良", 80), ("中", 70), ("差", 0)),
        rows=XSG_ROWS,
    ),
    "national-2020": Template(
        key="national-2020",
        title="项目支出绩效评价通用模板（财预〔2020〕10号）",
        # 财预〔2020〕10号: 90（含）以上优、80（含）-90 良、60（含）-80 中、60 以下差.
        grade_bands=(("优", 90), ("良", 80), ("中", 60), ("差", 0)),
        rows=XSG_ROWS,
    ),
}

DEFAULT_TEMPLATE = "xsg-default"

_PLACES = Decimal("0.0001")  # the indicator table keeps target values to 4 places


def fen_to_wan_decimal(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_WAN).quantize(_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ProgramParameters:
    """What a template's targets and texts are filled from."""

    cohort_year: int
    target_enterprise_count: int
    revenue_threshold_fen: int
    city_award_fen: int


def _target_value(value: Decimal | str, params: ProgramParameters) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if value == FROM_TARGET_ENTERPRISE_COUNT:
        return Decimal(params.target_enterprise_count)
    if value == FROM_REVENUE_THRESHOLD_WAN:
        return fen_to_wan_decimal(params.revenue_threshold_fen)
    if value == FROM_CITY_AWARD_WAN:
        return fen_to_wan_decimal(params.city_award_fen)
    raise KeyError(value)


def filled_rows(template_key: str, params: ProgramParameters) -> list[dict]:
    """The template's rows with targets and texts filled from the programme, in order."""
    template = TEMPLATES[template_key]
    texts = {"cohort_year": params.cohort_year, "target_enterprise_count": params.target_enterprise_count}
    rows = []
    for spec in template.rows:
        target = None
        if spec.target is not None:
            target = {"op": spec.target.op, "value": _target_value(spec.target.value, params), "unit": spec.target.unit}
        rows.append(
            {
                "key": spec.key,
                "level1": spec.level1,
                "level2": spec.level2,
                "name": spec.name,
                "weight": spec.weight,
                "kind": spec.kind,
                "target": target,
                "checkpoints": spec.checkpoints.format(**texts),
                "explanation": spec.explanation.format(**texts),
            }
        )
    return rows


def grade_bands(template_key: str) -> list[list]:
    """As stored on Program.grade_bands: [["优", 90], ["良", 80], ["中", 70], ["差", 0]]."""
    return [[grade, minimum] for grade, minimum in TEMPLATES[template_key].grade_bands]
