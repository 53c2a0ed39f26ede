"""Generate the demo DOCX and PDF policy documents from our own text sources.

Each `knowledge/sources/<name>.docx.txt` becomes `knowledge/docs/<name>.docx`, and each
`<name>.pdf.txt` becomes `knowledge/docs/<name>.pdf`. Source format: `# ` starts the title line,
`## ` a chapter heading, every other non-empty line is a paragraph. Metadata lives in the sidecar
`knowledge/docs/<name>.<ext>.meta.yaml`, written by hand.

Run: python knowledge/build_docs.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
DOCS = HERE / "docs"


def parse(source: Path) -> list[tuple[str, str]]:
    blocks = []
    for raw in source.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("## "):
            blocks.append(("heading", line[3:].strip()))
        elif line.startswith("# "):
            blocks.append(("title", line[2:].strip()))
        else:
            blocks.append(("para", line))
    return blocks


def build_docx(blocks: list[tuple[str, str]], target: Path) -> None:
    import docx

    document = docx.Document()
    # Fixed core properties keep the generated file byte-stable across runs where possible.
    document.core_properties.author = "示例银行"
    for kind, text in blocks:
        if kind == "title":
            document.add_heading(text, level=1)
        elif kind == "heading":
            document.add_heading(text, level=2)
        else:
            document.add_paragraph(text)
    document.save(target)


def build_pdf(blocks: list[tuple[str, str]], target: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=11, leading=17, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=22, spaceBefore=8)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=26, spaceAfter=10)
    story = []
    for kind, text in blocks:
        style = {"title": title, "heading": heading}.get(kind, body)
        story.append(Paragraph(text, style))
        story.append(Spacer(1, 4))
    SimpleDocTemplate(str(target), pagesize=A4, invariant=1).build(story)


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    for source in sorted(SOURCES.glob("*.txt")):
        name = source.name[: -len(".txt")]  # e.g. "wealth.pdf"
        target = DOCS / name
        blocks = parse(source)
        if name.endswith(".docx"):
            build_docx(blocks, target)
        elif name.endswith(".pdf"):
            build_pdf(blocks, target)
        else:
            continue
        print(f"wrote {target.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
