"""Binary outputs as comparable text (python stdlib only).

  .xlsx  every sheet's cell contents (shared strings resolved), by cell reference,
         plus merged ranges; no styles, no zip bytes, no document properties
  .html  the visible text (tags stripped; script/style dropped), one line per block
  .zip   the sorted list of member names (not sizes: members carry timestamps)
  else   the file as UTF-8 text
"""

import html.parser
import os
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _text_of(el):
    """The text of an <si> or <is>: every <t> below it, in order (rich-text runs joined)."""
    return "".join(t.text or "" for t in el.iter("{%s}t" % NS["m"]))


def xlsx_text(path):
    out = []
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        shared = []
        if "xl/sharedStrings.xml" in names:
            root = ET.fromstring(z.read("xl/sharedStrings.xml"))
            shared = [_text_of(si) for si in root.findall("m:si", NS)]
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = {}
        if "xl/_rels/workbook.xml.rels" in names:
            for rel in ET.fromstring(z.read("xl/_rels/workbook.xml.rels")).findall("rel:Relationship", NS):
                rels[rel.get("Id")] = rel.get("Target")
        for sheet in wb.findall("m:sheets/m:sheet", NS):
            name = sheet.get("name")
            target = rels.get(sheet.get("{%s}id" % NS["r"]), "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            out.append(f"=== sheet {name}")
            if target not in names:
                out.append(f"(sheet file {target} missing)")
                continue
            root = ET.fromstring(z.read(target))
            for row in root.iter("{%s}row" % NS["m"]):
                for c in row.findall("m:c", NS):
                    ref, t = c.get("r"), c.get("t")
                    v = c.find("m:v", NS)
                    f = c.find("m:f", NS)
                    if t == "s" and v is not None:
                        val = shared[int(v.text)]
                    elif t == "inlineStr":
                        is_ = c.find("m:is", NS)
                        val = _text_of(is_) if is_ is not None else ""
                    else:
                        val = v.text if v is not None and v.text is not None else ""
                    if f is not None and f.text:
                        val += f"  [={f.text}]"
                    if val == "":
                        continue
                    val = val.replace("\\", "\\\\").replace("\n", "\\n")
                    out.append(f"{ref}\t{val}")
            merges = [m.get("ref") for m in root.iter("{%s}mergeCell" % NS["m"])]
            if merges:
                out.append("merged: " + " ".join(merges))
    return "\n".join(out) + "\n"


class _Visible(html.parser.HTMLParser):
    BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
             "section", "header", "footer", "title", "caption", "thead", "tbody", "dt", "dd", "hr"}
    CELL = {"td", "th"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in self.CELL:
            self.parts.append(" | ")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(path):
    p = _Visible()
    with open(path, encoding="utf-8", errors="replace") as f:
        p.feed(f.read())
    p.close()
    lines = []
    for line in "".join(p.parts).split("\n"):
        line = re.sub(r"\s+", " ", line).strip()
        if line and line != "|":
            lines.append(line)
    return "\n".join(lines) + "\n"


def members(path):
    with zipfile.ZipFile(path) as z:
        return sorted(n for n in z.namelist() if not n.endswith("/"))


def unzip(path, dest):
    os.makedirs(dest, exist_ok=True)
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.startswith("/") or ".." in n.split("/"):
                continue
            z.extract(n, dest)


def as_text(path):
    low = path.lower()
    try:
        if low.endswith(".xlsx"):
            return xlsx_text(path)
        if low.endswith((".html", ".htm")):
            return html_text(path)
        if low.endswith(".zip"):
            return "\n".join(members(path)) + "\n"
    except (zipfile.BadZipFile, ET.ParseError, KeyError, ValueError) as e:
        return f"(cannot read {os.path.basename(path)}: {e})\n"
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")
