"""Every node kind through every renderer, and a chapter with every Markdown construct read back in order.

Renderers are the `…Translator` classes of pdz_docs/render/ and node kinds the `Node` subclasses of
pdz_docs/document/nodes.py, both found in the code: a new kind or a new renderer is covered by itself.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image as PILImage

import pdz_docs.render
from pdz_docs.document import nodes as n
from pdz_docs.document.builder import build_document
from pdz_docs.pipeline import run
from pdz_docs.provenance import provenance

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Each construct carries a word of its own (Ordine01…): they must come out in this order.
CHAPTER = """---
id: costrutti
titolo: Tutti i costrutti
numero: 5
ordine: 20
---
## Ordine01 sezione

Ordine02 testo *Ordine03 enfasi* **Ordine04 forte** ~~Ordine05 barrato~~ `Ordine06 codice` \
[Ordine07 sito](https://esempio.it) {{ cifre.territorio.superficie }} nota[^uno] Ordine08\\
Ordine09 a capo ![Ordine10 logo](immagini/logo.png)

- Ordine11 voce
  - Ordine12 sotto-voce
- Ordine13 altra

3. Ordine14 terzo
4. Ordine15 quarto

> Ordine16 citata

```
Ordine17 codice recintato
```

    Ordine18 codice rientrato

---

| Ordine19 a | Ordine20 b |
|:--|--:|
| Ordine21 | 22 |

: Prospetto di prova, come {{ tabella_n("fasce_eta") }}

{{ tabella("territorio") }}

{{ tabella("quadro_sinottico") }}

### Ordine23 terzo livello

#### Ordine24 quarto livello

###### Ordine25 sesto livello

# Ordine26 titolo di primo livello

Ordine27 fine.

[^uno]: Ordine28 testo della nota.
"""

WORDS = [f"Ordine{i:02d}" for i in range(1, 29) if i not in (10, 22)]   # 10 is an image's description


def translators() -> list[type]:
    """The renderers: classes named …Translator in the modules of pdz_docs/render (read with ast, then imported)."""
    found = []
    for path in sorted(Path(pdz_docs.render.__file__).parent.glob("*.py")):
        names = [c.name for c in ast.parse(path.read_text(encoding="utf-8")).body
                 if isinstance(c, ast.ClassDef) and c.name.endswith("Translator")]
        if names:
            module = importlib.import_module(f"pdz_docs.render.{path.stem}")
            found.extend(getattr(module, name) for name in names)
    return found


def node_kinds() -> set[type]:
    return {c for _, c in inspect.getmembers(n, inspect.isclass)
            if issubclass(c, n.Node) and c is not n.Node and c.__module__ == n.__name__}


def walk(node):
    yield node
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, n.Node):
                yield from walk(child)


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("costrutti") / "piano"
    shutil.copytree(FIXTURES / "minimo", root)
    (root / "capitoli" / "immagini").mkdir()
    PILImage.new("RGB", (40, 20), "navy").save(root / "capitoli" / "immagini" / "logo.png")
    (root / "capitoli" / "20-costrutti.md").write_text(CHAPTER, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def result(plan):
    result, problems = run(plan)
    assert result is not None and not [p for p in problems if p.severity == "errore"], problems
    return result


@pytest.fixture(scope="module")
def document(result) -> n.Document:
    doc, built = build_document(result, provenance(result.plan))
    assert built == []
    return doc


@pytest.fixture(scope="module")
def documents(result, document) -> tuple[n.Node, ...]:
    """The plan, and a report on it (`pdz diff`'s, comparing the plan with itself)."""
    from pdz_docs.diff.compare import compare
    from pdz_docs.diff.git import Versione

    version = Versione("approvato", "abc1234", None)
    return document, compare(version, result, version, result)[0]


def test_kinds_are_all_listed():
    assert node_kinds() == set(n.KINDS)


def test_the_documents_hold_every_kind(documents):
    assert {type(x) for d in documents for x in walk(d)} == set(n.KINDS)


@pytest.mark.parametrize("translator", translators(), ids=lambda t: t.__name__)
def test_every_kind_through_every_renderer(translator, documents):
    samples = {}
    for x in (x for d in documents for x in walk(d)):
        samples.setdefault(type(x), x)
    renderer = translator()
    for kind in n.KINDS:
        out = renderer.render(samples[kind])
        assert out, kind.__name__


@pytest.mark.parametrize("translator", translators(), ids=lambda t: t.__name__)
def test_an_unknown_kind_is_an_error(translator):
    @dataclasses.dataclass(frozen=True)
    class Nuovo(n.Node):
        pass

    with pytest.raises(TypeError):
        translator().render(Nuovo())


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("head", "nav")

    def handle_endtag(self, tag):
        self.skip -= tag in ("head", "nav")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def in_order(text: str, words: list[str]) -> list[str]:
    """The words missing from `text` or out of order (empty: all there, in order)."""
    at, wrong = 0, []
    for w in words:
        k = text.find(w, at)
        if k < 0:
            wrong.append(w)
        else:
            at = k + len(w)
    return wrong


@pytest.fixture(scope="module")
def built(plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(out), "--format", "pdf,html"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def test_every_construct_in_order_in_the_html(built):
    parser = _Text()
    parser.feed(next(built.glob("*.html")).read_text(encoding="utf-8"))
    text = " ".join(parser.parts)
    assert in_order(text, WORDS) == []
    assert "5.1 " in text and "100,00" in text    # the section's number, the cited figure


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext non installato")
def test_every_construct_in_order_in_the_pdf(built):
    pdf = next(built.glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    body = text[text.index("Tutti i costrutti", text.index("Tutti i costrutti") + 1):]   # past the TOC
    assert in_order(re.sub(r"\s+", " ", body), WORDS) == []


def test_every_construct_in_order_in_the_docx(plan, tmp_path):
    """The DOCX translator (render/docx.py) reads the same tree: nothing of the chapter is lost there either."""
    import zipfile

    r = subprocess.run([sys.executable, "-m", "pdz_docs", "build", str(plan), "-o", str(tmp_path), "--format", "docx"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    docx = zipfile.ZipFile(next(tmp_path.glob("*.docx")))
    parts = ["word/document.xml"] + [p for p in ("word/footnotes.xml",) if p in docx.namelist()]  # notes: last
    texts = [" ".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", docx.read(p).decode())) for p in parts]
    body = texts[0][texts[0].rindex("Tutti i costrutti"):] + " " + " ".join(texts[1:])
    assert in_order(re.sub(r"\s+", " ", body), WORDS) == []
