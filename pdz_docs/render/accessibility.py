"""The last touches that make WeasyPrint's tagged PDF/A also a PDF/UA-1 document.

WeasyPrint tags the PDF from the HTML; this finisher, run on its PDF objects just before they are
written, adds what PDF/UA-1 (ISO 14289-1) and PDF/A-2 ask for and WeasyPrint leaves out (each
variant gets what applies to it: PDF/A the metadata and images, tagged variants the structure):
- the XMP metadata declares PDF/UA-1 (pdfuaid:part, with the extension schema PDF/A requires for a
  namespace it does not predefine) next to PDF/A, in an uncompressed stream (PDF/A forbids a Filter);
- a table that crosses pages is one Table (WeasyPrint tags each page on its own): the later parts'
  rows join the first part, their repeated header rows become pagination artifacts;
- every table header cell has a /Scope (Row when its row holds data cells, as in the cards'
  label/value grids, else Column) and the /Headers of data cells resolve through an /IDTree;
- images are not smoothed by the viewer (PDF/A forbids /Interpolate true, which WeasyPrint
  writes for images with the default `image-rendering`);
- no compressed stream ends with a carriage return: before the line feed that precedes `endstream`
  a validator reads it as a CR LF end of line and finds /Length one byte too long (ISO 19005-2,
  6.1.7.1), so such a stream (1 in about 256) is compressed as a predictor row (`flate`);
- the running header and the page numbers (CSS page-margin boxes) are pagination artifacts, not
  content a screen reader reads on every page.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zlib

import pydyf

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
NAMESPACES = {"pdfuaid": PDFUAID, "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
              "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
              "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#"}
# The PDF/A extension schema that describes the pdfuaid namespace (ISO 19005-2, 6.6.2.3.2).
EXTENSION = f"""<rdf:Description xmlns:rdf="{RDF}" rdf:about=""
 xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
 xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
 xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>{PDFUAID}</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Part of ISO 14289 the document conforms to</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>"""

# PDF variants whose tagged output is also declared PDF/UA-1.
UA_VARIANTS = ("pdf/a-2a", "pdf/a-3a")


def finisher(variant: str | None, prefix: str = ""):
    """The WeasyPrint finisher for a PDF `variant` (PDF/A or PDF/UA), None for a plain PDF.

    `prefix` goes before the ID of every structure element (and the /Headers naming them): the IDs of
    a part laid out on its own stay unique once the parts are joined (render/pdf.py).
    """
    if not variant:
        return None

    def finish(document, pdf: pydyf.PDF) -> None:
        objects = _objects(pdf)
        if variant.startswith("pdf/a"):
            metadata = objects[_number(pdf.catalog["Metadata"])]
            if variant in UA_VARIANTS:
                _declare_ua(metadata)
            metadata.compress = False
            _no_interpolation(pdf)
        if "StructTreeRoot" in pdf.catalog:
            root = objects[_number(pdf.catalog["StructTreeRoot"])]
            _join_split_tables(document, objects)
            if prefix:
                _prefix_ids(objects, prefix)
            reachable = _tables_and_reachable(root, objects, pdf)
            _artifacts(pdf, objects, root, reachable)
        _no_trailing_cr(pdf)
        _streams_without_trailing_cr(pdf)

    return finish


def streams_only(document, pdf: pydyf.PDF) -> None:
    """The finisher of a plain PDF whose pages go into a PDF/A (render/pdf.py): its streams too must not
    end with a carriage return."""
    _no_trailing_cr(pdf)


def _number(reference) -> int:
    return int(bytes(reference).split()[0])


def _objects(pdf: pydyf.PDF) -> dict[int, object]:
    return {o.number: o for o in pdf.objects if isinstance(o, pydyf.Object) and o.number is not None}


def _declare_ua(metadata: pydyf.Stream) -> None:
    """Add pdfuaid:part=1 and its extension schema to the XMP packet."""
    packet = b"".join(x if isinstance(x, bytes) else str(x).encode() for x in metadata.stream)
    start, end = packet.index(b"<rdf:RDF"), packet.index(b"</rdf:RDF>") + len(b"</rdf:RDF>")
    for prefix, uri in NAMESPACES.items():
        ET.register_namespace(prefix, uri)
    rdf = ET.fromstring(packet[start:end])
    first = rdf.find(f"{{{RDF}}}Description")
    first.set(f"{{{PDFUAID}}}part", "1")
    rdf.append(ET.fromstring(EXTENSION))
    metadata.stream = [packet[:start] + ET.tostring(rdf, encoding="utf-8").split(b"?>", 1)[-1].lstrip()
                       + packet[end:]]


def _kids(element, objects) -> list:
    kids = element.get("K")
    if kids is None:
        return []
    if not isinstance(kids, list):
        kids = [kids]
    return [objects[_number(k)] for k in kids if isinstance(k, bytes) and k.endswith(b" R")]


def _table_parts(document, objects) -> dict[int, list]:
    """The Table structure elements of each HTML table, page by page (found through the cells,
    the only boxes WeasyPrint links to their structure element)."""
    parts: dict[int, list] = {}

    def walk(box, table) -> None:
        if getattr(box, "element_tag", None) == "table" and box.element is not None:
            table = box.element
        mark = getattr(box, "mark", None)
        if mark is not None and table is not None:
            element = objects[_number(objects[_number(mark["P"])]["P"])]    # cell → TR → row group
            if element.get("S") != "/Table":
                element = objects[_number(element["P"])]
            found = parts.setdefault(id(table), [])
            if element not in found:
                found.append(element)
            return
        for child in getattr(box, "children", ()):
            walk(child, table)

    for page in document.pages:
        walk(page._page_box, None)
    return parts


def _join_split_tables(document, objects) -> None:
    for first, *rest in (p for p in _table_parts(document, objects).values() if len(p) > 1):
        head = next((k for k in _kids(first, objects) if k.get("S") == "/THead"), None)
        for part in rest:
            renamed = {}
            for group in _kids(part, objects):
                if group.get("S") == "/THead" and head is not None:
                    # the header rows repeated on this page: the first part's header rows stand for them
                    for row in _kids(group, objects):
                        for cell in _kids(row, objects):
                            if "ID" in cell:
                                renamed[cell["ID"].string] = cell["ID"].string.replace(
                                    f"{part.number}-", f"{first.number}-", 1)
                    continue
                if group.get("S") == "/Caption":
                    continue
                group["P"] = first.reference
                first["K"].append(group.reference)
                for row in _kids(group, objects):
                    for cell in _kids(row, objects):
                        headers = cell.get("A", {}).get("Headers")
                        if headers:
                            cell["A"]["Headers"] = pydyf.Array(
                                pydyf.String(renamed.get(h.string, h.string)) for h in headers)
            _detach(part, objects)


def _detach(element, objects) -> None:
    """Take `element` out of its parent, and the parent too when nothing else is left in it."""
    parent = objects[_number(element["P"])]
    kids = parent["K"]
    kids[:] = [k for k in kids if k != element.reference]
    if not kids and parent.get("S") not in (None, "/Document"):
        _detach(parent, objects)


def _prefix_ids(objects, prefix: str) -> None:
    for element in objects.values():
        if isinstance(element, dict) and element.get("Type") == "/StructElem":
            if "ID" in element:
                element["ID"] = pydyf.String(prefix + element["ID"].string)
            headers = element.get("A", {}).get("Headers") if isinstance(element.get("A"), dict) else None
            if headers:
                element["A"]["Headers"] = pydyf.Array(pydyf.String(prefix + h.string) for h in headers)


def _tables_and_reachable(root, objects, pdf) -> set[int]:
    """Give every TH a /Scope, index the header IDs in an /IDTree; return the reachable elements."""
    reachable: set[int] = set()
    ids: dict[str, bytes] = {}
    stack = [root]
    while stack:
        element = stack.pop()
        if element.number in reachable:
            continue
        reachable.add(element.number)
        kids = [k for k in _kids(element, objects) if isinstance(k, dict) and k.get("Type") != "/OBJR"]
        if element.get("S") == "/TR":
            has_data = any(k.get("S") == "/TD" for k in kids)
            for cell in kids:
                if cell.get("S") == "/TH":
                    cell.setdefault("A", pydyf.Dictionary({"O": "/Table"}))
                    cell["A"]["Scope"] = "/Row" if has_data else "/Column"
        if "ID" in element:
            ids[element["ID"].string] = element.reference
        stack.extend(kids)
    if ids:
        names = pydyf.Array()
        for key in sorted(ids):
            names.extend((pydyf.String(key), ids[key]))
        root["IDTree"] = pydyf.Dictionary({"Names": names})
    return reachable


def _artifacts(pdf, objects, root, reachable: set[int]) -> None:
    """Turn marked content that no reachable structure element owns (page-margin boxes) into artifacts."""
    parent_tree = objects[_number(root["ParentTree"])]
    nums = parent_tree["Nums"]
    for i in range(0, len(nums), 2):
        page, owners = nums[i], nums[i + 1]
        if not isinstance(owners, list) or page >= len(pdf.page_references):
            continue
        orphans = {mcid for mcid, ref in enumerate(owners)
                   if isinstance(ref, bytes) and _number(ref) not in reachable}
        if not orphans:
            continue
        page_dict = objects[_number(pdf.page_references[page])]
        stream = objects[_number(page_dict["Contents"])]
        ops = stream.stream
        for j, op in enumerate(ops):
            if isinstance(op, pydyf.Dictionary) and op.get("MCID") in orphans and j > 0 and ops[j + 1] == b"BDC":
                ops[j - 1] = "/Artifact"
                ops[j] = pydyf.Dictionary({"Type": "/Pagination"})
        for mcid in orphans:
            owners[mcid] = "null"


def _no_interpolation(pdf: pydyf.PDF) -> None:
    for stream in pdf.objects:
        if isinstance(stream, pydyf.Stream) and stream.extra.get("Interpolate") == "true":
            stream.extra["Interpolate"] = "false"


def flate(data: bytes) -> tuple[bytes, dict | None]:
    """`data` compressed (FlateDecode) so that the compressed bytes do not end with a carriage return, and
    the /DecodeParms that decode them (None when there are none).

    Compressed data ends with the Adler-32 checksum of what it holds, so one stream in 256 ends with CR.
    Such data is compressed again as one row of a PNG predictor (ISO 32000-1, 7.4.4.4): the row's filter
    byte (None, or Up over the implicit row of zeros: both give back `data` unchanged) changes the
    checksum. QPDF keeps such a stream as it is when it joins files (render/pdf.py), which it would not
    do for one wrapped in ASCIIHexDecode.
    """
    parms = {"Predictor": 10, "Columns": max(len(data), 1)}
    for row, decode in ((b"", None), (b"\x00", parms), (b"\x02", parms)):
        packed = zlib.compress(row + data, 9)
        if not packed.endswith(b"\r"):
            return packed, decode
    raise ValueError("flusso compresso che finisce con CR")   # 1 in 256³


def _no_trailing_cr(pdf: pydyf.PDF) -> None:
    """Compress the streams here, as pydyf would, with `flate`."""
    for stream in pdf.objects:
        if not isinstance(stream, pydyf.Stream) or not stream.compress or "DecodeParms" in stream.extra:
            continue
        data = b"\n".join(pydyf._to_bytes(item) for item in stream.stream)
        packed, parms = flate(data)
        stream.extra["Filter"] = "/FlateDecode"
        if parms:
            stream.extra["DecodeParms"] = pydyf.Dictionary(parms)
        stream.stream, stream.compress = [packed], False


def _streams_without_trailing_cr(pdf: pydyf.PDF) -> None:
    """The same for the object stream and the cross-reference stream pydyf.PDF.write makes while it writes
    the file, after this finisher: the file is written in memory first, and while either stream's data ends
    with CR an empty object, referenced by nothing, is added and the file written again."""
    write = pdf.write

    def write_without_trailing_cr(output, *args, **kwargs) -> None:
        count = len(pdf.objects)
        while True:
            pdf.current_position = 0
            buffer = io.BytesIO()
            write(buffer, *args, **kwargs)
            if not any(isinstance(o, pydyf.Stream) and o.data.endswith(b"\r\nendstream") for o in pdf.objects[count:]):
                break
            del pdf.objects[count:]
            pdf.add_object(pydyf.Dictionary())
            count += 1
        output.write(buffer.getvalue())

    pdf.write = write_without_trailing_cr