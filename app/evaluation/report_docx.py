"""The evaluation report as a Word document officials edit: A4, the layout of Chinese
official documents (GB/T 9704: 三号仿宋 body, 黑体 / 楷体 headings, page numbers in the
footer), real Word tables with merged 一级 / 二级 cells, and named styles for everything —
no hand-positioned text, so an edit to a style reflows the whole report.

Fonts carry both the ASCII and the East Asian name (w:ascii, w:hAnsi, w:eastAsia) on the
styles and on each run, and the template's theme fonts are removed, because Word on
Windows otherwise renders Chinese text in the theme's font rather than the one named."""

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

BODY_FONT = "仿宋_GB2312"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
TITLE_FONT = "宋体"
TABLE_FONT = "宋体"
BLACK = RGBColor(0, 0, 0)

# Paragraph styles this module adds (the Heading, Title and Body Text ones are Word's own,
# restyled, so the navigation pane and a table of contents work).
TABLE_TEXT, TABLE_HEAD, TABLE_NUMBER = "表格文字", "表格表头", "表格数字"
TABLE_CAPTION, NOTE, REPORT_META = "表题", "注释", "报告信息"
LEAD = "段首语"  # character style of a paragraph's lead (“该项目实施背景：”)


# ---------------------------------------------------------------- fonts and styles


def _fonts(element, name: str) -> None:  # noqa: ANN001 - an rPr's parent (style, run)
    """Name the font for every script and drop the theme fonts, which would win."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)


def _black(element) -> None:  # noqa: ANN001 - a style's element
    """Black text: the template's theme colours (blue headings) would win over an RGB value."""
    rpr = element.get_or_add_rPr()
    for color in rpr.findall(qn("w:color")):
        rpr.remove(color)
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "000000")
    rpr.append(color)


def _paragraph_style(styles, name: str, *, base: str = "Normal", font: str = BODY_FONT, size: float = 16,
                     bold: bool = False, align=None, first_line: bool = False, line: float | None = None,  # noqa: ANN001
                     before: float = 0, after: float = 0, keep_next: bool = False):  # noqa: ANN202
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if style.name != "Normal":
        style.base_style = styles[base]
    style.quick_style = True
    _fonts(style.element, font)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    _black(style.element)
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if line is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing = Pt(line)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    if align is not None:
        fmt.alignment = align
    fmt.keep_with_next = keep_next
    if first_line:  # two characters, however large the font is set later
        ind = style.element.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:firstLineChars"), "200")
        ind.set(qn("w:firstLine"), str(int(size * 2 * 20)))
    return style


def _install_styles(doc) -> None:  # noqa: ANN001
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), BODY_FONT)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")

    styles = doc.styles
    justify, center = WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.CENTER
    _paragraph_style(styles, "Normal", size=16, line=28, align=justify)
    _paragraph_style(styles, "Body Text", size=16, line=28, align=justify, first_line=True)
    _paragraph_style(styles, "Title", font=TITLE_FONT, size=22, bold=True, align=center, line=36, before=12, after=6)
    title = styles["Title"].element.pPr
    border = title.find(qn("w:pBdr"))
    if border is not None:
        title.remove(border)
    _paragraph_style(styles, "Subtitle", font=BODY_FONT, size=16, align=center, line=28, after=12)
    _paragraph_style(styles, "Heading 1", font=HEADING1_FONT, size=16, line=28, first_line=True, before=6,
                     keep_next=True)
    _paragraph_style(styles, "Heading 2", font=HEADING2_FONT, size=16, line=28, first_line=True, keep_next=True)
    _paragraph_style(styles, "Heading 3", font=BODY_FONT, size=16, bold=True, line=28, first_line=True,
                     keep_next=True)
    for name, font in (("Heading 1 Char", HEADING1_FONT), ("Heading 2 Char", HEADING2_FONT),
                       ("Heading 3 Char", BODY_FONT), ("Title Char", TITLE_FONT), ("Subtitle Char", BODY_FONT)):
        _fonts(styles[name].element, font)
        _black(styles[name].element)
        styles[name].font.italic = False
    _paragraph_style(styles, "List Bullet", size=16, line=28, align=justify)
    _paragraph_style(styles, TABLE_CAPTION, font=HEADING1_FONT, size=12, align=center, before=6, after=4,
                     keep_next=True)
    _paragraph_style(styles, TABLE_TEXT, font=TABLE_FONT, size=10.5)
    _paragraph_style(styles, TABLE_HEAD, base=TABLE_TEXT, font=TABLE_FONT, size=10.5, bold=True, align=center)
    _paragraph_style(styles, TABLE_NUMBER, base=TABLE_TEXT, font=TABLE_FONT, size=10.5,
                     align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph_style(styles, NOTE, size=12, line=20, align=justify, first_line=True, after=4)
    _paragraph_style(styles, REPORT_META, size=12, line=20, align=center)
    if LEAD not in [s.name for s in styles]:
        lead = styles.add_style(LEAD, WD_STYLE_TYPE.CHARACTER)
        lead.base_style = styles["Default Paragraph Font"]
        lead.font.bold = True
        lead.quick_style = True


def _run(paragraph, text: str, font: str, style: str | None = None):  # noqa: ANN001, ANN202
    run = paragraph.add_run(text, style=style)
    _fonts(run._r, font)  # noqa: SLF001 - python-docx exposes the run's element this way
    return run


def _para(doc_or_cell, text: str, style: str, font: str, lead: str | None = None):  # noqa: ANN001, ANN202
    paragraph = doc_or_cell.add_paragraph(style=style)
    if lead:
        _run(paragraph, lead, font, LEAD)
    if text:
        _run(paragraph, text, font)
    return paragraph


# ---------------------------------------------------------------- page


def _field(paragraph, instruction: str, font: str) -> None:  # noqa: ANN001
    """A Word field (PAGE): begin, instruction, separator, placeholder, end — each in its
    own run, as Word writes them; Word fills in the number."""
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None), ("text", "1"), ("end", None)):
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        elif kind == "text":
            element = OxmlElement("w:t")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        _run(paragraph, "", font)._r.append(element)  # noqa: SLF001


def _page(doc, draft_label: str | None) -> None:  # noqa: ANN001
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.header_distance, section.footer_distance = Cm(1.5), Cm(2.5)
    footer = section.footer.paragraphs[0]
    footer.style = doc.styles["Footer"]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "— ", BODY_FONT)
    _field(footer, "PAGE", BODY_FONT)
    _run(footer, " —", BODY_FONT)
    for run in footer.runs:
        run.font.size = Pt(14)
    if draft_label:
        header = section.header.paragraphs[0]
        header.style = doc.styles["Header"]
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _run(header, draft_label, HEADING1_FONT).font.size = Pt(12)


TEXT_WIDTH_CM = 21 - 2.8 - 2.6


# ---------------------------------------------------------------- blocks


def _table(doc, block: dict) -> None:  # noqa: ANN001
    if block.get("title"):
        _para(doc, block["title"], TABLE_CAPTION, HEADING1_FONT)
    columns, rows = block["columns"], block["rows"]
    table = doc.add_table(rows=1 + len(rows), cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    weights = block.get("widths") or [1] * len(columns)
    widths = [Cm(TEXT_WIDTH_CM * w / sum(weights)) for w in weights]
    header = table.rows[0]
    header_pr = header._tr.get_or_add_trPr()  # noqa: SLF001 - repeat the header row on each page
    repeat = OxmlElement("w:tblHeader")
    header_pr.append(repeat)
    for c, column in enumerate(columns):
        target = header.cells[c]
        target.paragraphs[0].style = doc.styles[TABLE_HEAD]
        _run(target.paragraphs[0], column["text"], TABLE_FONT)
        target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            target = table.cell(r, c)
            span_r, span_c = value.get("rowspan", 1), value.get("colspan", 1)
            if span_r > 1 or span_c > 1:
                target = target.merge(table.cell(r + span_r - 1, c + span_c - 1))
            lines = str(value["text"]).split("\n")
            style = TABLE_NUMBER if value.get("num") else TABLE_TEXT
            first = target.paragraphs[0]
            first.style = doc.styles[style]
            for n, line in enumerate(lines):
                paragraph = first if n == 0 else target.add_paragraph(style=style)
                _run(paragraph, line, TABLE_FONT, LEAD if value.get("strong") else None)
            target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for row in table.rows:
        for c, width in enumerate(widths):
            row.cells[c].width = width
    doc.add_paragraph(style=NOTE)  # a breath after the table, like a typed report


def _blocks(doc, blocks: list[dict]) -> None:  # noqa: ANN001
    for block in blocks:
        kind = block["type"]
        if kind == "heading":
            level = block.get("level", 2)
            _para(doc, block["text"], f"Heading {level}", HEADING2_FONT if level == 2 else BODY_FONT)
        elif kind == "paragraph":
            _para(doc, block["text"], "Body Text", BODY_FONT, block.get("lead"))
        elif kind == "note":
            _para(doc, block["text"], NOTE, BODY_FONT)
        elif kind == "list":
            for item in block["items"]:
                _para(doc, item, "List Bullet", BODY_FONT)
        elif kind == "table":
            _table(doc, block)


# ---------------------------------------------------------------- the document


def report_docx(content: dict) -> bytes:
    """The report content of app/evaluation/report.py as a .docx file's bytes."""
    doc = Document()
    _install_styles(doc)
    _page(doc, content.get("draft_label"))

    _para(doc, content["title"], "Title", TITLE_FONT)
    if content.get("subtitle"):
        _para(doc, f"（{content['subtitle']}）", "Subtitle", BODY_FONT)
    if content.get("draft_label"):
        _para(doc, f"（{content['draft_label']}）", "Subtitle", HEADING1_FONT)
    meta = [f"项目编号：{content['program']['code']}　评价范围：{content['scope_name']}",
            f"总分：{content['total']} 分　评价等级：{content['grade']}"]
    snapshot = content.get("snapshot")
    if snapshot:
        meta.append(f"定稿快照：编号 {snapshot['id']}，于{snapshot['finalized_at']}定稿")
        meta.append(f"SHA-256：{snapshot['sha256']}")
    else:
        meta.append(f"数据时间：{content.get('computed_at')}（北京时间）")
    for line in meta:
        _para(doc, line, REPORT_META, BODY_FONT)
    if content.get("draft_note"):
        _para(doc, content["draft_note"], NOTE, BODY_FONT)

    for section in content["sections"]:
        _para(doc, section["heading"], "Heading 1", HEADING1_FONT)
        _blocks(doc, section["blocks"])

    appendix = content.get("appendix")
    if appendix:
        doc.add_paragraph(style="Normal").add_run().add_break(WD_BREAK.PAGE)
        _para(doc, appendix["heading"], "Heading 1", HEADING1_FONT)
        _blocks(doc, appendix["blocks"])
    for line in content.get("provenance") or []:
        _para(doc, line, NOTE, BODY_FONT)

    props = doc.core_properties
    props.title = content["title"]
    props.subject = f"{content['program']['code']} 绩效评价报告"
    props.author = "ScaleUp 小升规奖补资金管理与绩效评价系统"
    props.keywords = "绩效评价" + (f"; snapshot {snapshot['id']}; sha256 {snapshot['sha256']}" if snapshot else "")
    props.comments = "；".join(content.get("provenance") or [])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
