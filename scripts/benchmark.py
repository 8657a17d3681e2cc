"""Benchmark of the pdz commands on a plan, next to pandoc and LibreOffice on the same text.

Run from the repository root:

    .venv/bin/python scripts/benchmark.py                 # default plan content/, 3 repetitions
    .venv/bin/python scripts/benchmark.py -n 5 --write    # also update BENCHMARKS.md

Every measured step runs in a fresh subprocess; the repetitions are interleaved (round 1 of
every step, then round 2, ...) so that a burst of background load spreads over all steps
instead of hitting one. For each step the median of the repetitions is reported.

How the figures are taken:
- wall time: time.perf_counter() around the child, from spawn to reap;
- CPU time: user + system time of the child and of every descendant it waited for, from the
  rusage that os.wait4() returns for that child alone (so no delta arithmetic on
  RUSAGE_CHILDREN is needed, and other children of this script cannot leak in);
- max RSS: ru_maxrss of the same rusage: the kernel's high-water mark of the largest single
  process of the tree (exact, but for a build that runs two processes at once it is the
  larger of the two, not their sum);
- tree peak RSS: the sum of the resident memory of the child and all its descendants,
  sampled from /proc every 0.1 s (approximate: a peak shorter than a sample is missed);
  it counts the pages forked processes share with their parent once in each of them;
- tree peak PSS: the same sum of the proportional set sizes (/proc/PID/smaps_rollup): each
  shared page divided among the processes that share it, so the memory the tree occupies;
  this is the figure that matters when the build runs processes in parallel;
- busy processes: the largest number of processes of the tree that used CPU within the
  same 0.1 s sample; 2 or more means the step really worked on several cores at once.

Comparison steps (skipped with a line in the report when the tool is missing):
- pandoc, chapters: the chapters content/capitoli/*.md concatenated in file order, each front
  matter replaced by a "# titolo" heading; Jinja expressions ({{ ... }}) are left as they are,
  as literal text (pdz replaces them with figures and whole tables, so it does more work);
- pandoc, whole document: the HTML that `pdz build --format html` writes for the plan (chapters,
  computed tables, cards, annexes: the same text as our DOCX), converted to DOCX;
- LibreOffice: `soffice --headless --convert-to pdf` of the DOCX that pdz builds for the same
  plan, with a throw-away profile (-env:UserInstallation in a temporary folder). One warm-up
  conversion, excluded from the figures, creates the profile and fills the disk cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "BENCHMARKS.md"
BEGIN = "<!-- benchmark:begin (written by scripts/benchmark.py --write; edit outside these markers) -->"
END = "<!-- benchmark:end -->"
SAMPLE_EVERY = 0.1
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    wall: float
    cpu: float
    maxrss_mb: float
    tree_rss_mb: float
    tree_pss_mb: float
    busy: int
    returncode: int


@dataclass
class Step:
    key: str
    label: str
    argv: list[str]
    runs: list[Run] = field(default_factory=list)
    skipped: str = ""      # why the step was not measured
    failed: str = ""       # stderr tail of a failed run
    before: object = None  # called before each run (not timed): e.g. edits a sentence
    env: dict = field(default_factory=dict)   # added to the environment of the run

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)


class TreeSampler(threading.Thread):
    """Samples the summed RSS, the summed PSS and the number of CPU-busy processes of a process tree.

    RSS counts a page once in every process that maps it: forked processes share their parent's pages
    until they write them, so the summed RSS counts those pages several times. PSS (proportional set
    size, /proc/PID/smaps_rollup) divides each shared page among the processes sharing it: the tree's
    summed PSS is the memory it occupies."""

    def __init__(self, root_pid: int) -> None:
        super().__init__(daemon=True)
        self.root = root_pid
        self.peak_rss = 0
        self.peak_pss = 0
        self.max_busy = 0
        self.stop = threading.Event()

    @staticmethod
    def _stat(pid: str) -> tuple[int, int, int] | None:
        """(ppid, cpu ticks, rss pages) of a process, or None if it is gone."""
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                data = f.read()
        except OSError:
            return None
        fields = data[data.rindex(b")") + 2:].split()   # the command name may contain spaces
        return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21])

    @staticmethod
    def _pss(pid: int) -> int:
        """The proportional set size of a process in bytes (0 if it is gone)."""
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0

    def _sample(self, last_cpu: dict[int, int]) -> None:
        stats = {}
        for name in os.listdir("/proc"):
            if name.isdigit() and (st := self._stat(name)) is not None:
                stats[int(name)] = st
        tree, frontier = set(), [self.root]
        while frontier:
            pid = frontier.pop()
            if pid in stats and pid not in tree:
                tree.add(pid)
                frontier.extend(p for p, st in stats.items() if st[0] == pid)
        self.peak_rss = max(self.peak_rss, sum(stats[p][2] for p in tree) * PAGE)
        self.peak_pss = max(self.peak_pss, sum(self._pss(p) for p in tree))
        busy = sum(1 for p in tree if stats[p][1] > last_cpu.get(p, 0) + 0.5 * SAMPLE_EVERY * TICK)
        self.max_busy = max(self.max_busy, busy)
        last_cpu.clear()
        last_cpu.update({p: stats[p][1] for p in tree})

    def run(self) -> None:
        last_cpu: dict[int, int] = {}
        while not self.stop.wait(SAMPLE_EVERY):
            self._sample(last_cpu)


def measure(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[Run, str]:
    """Run argv once in a fresh process; return its figures and the tail of its stderr."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)   # already reaped: keep Popen quiet
        sampler.stop.set()
        sampler.join()
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
    run = Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, maxrss_mb=usage.ru_maxrss / 1024,
              tree_rss_mb=max(sampler.peak_rss / 2**20, usage.ru_maxrss / 1024),
              tree_pss_mb=sampler.peak_pss / 2**20, busy=max(sampler.max_busy, 1),
              returncode=proc.returncode)
    return run, tail


def pandoc_input(plan: Path, dest: Path) -> None:
    """The chapters concatenated: front matter → '# titolo', Jinja left as literal text."""
    parts = []
    for md in sorted((plan / "capitoli").glob("*.md")):
        text = md.read_text(encoding="utf-8")
        m = re.match(r"---\n(.*?)\n---\n", text, re.S)
        if m:
            title = re.search(r"^titolo:\s*(.+)$", m.group(1), re.M)
            text = (f"# {title.group(1).strip()}\n\n" if title else "") + text[m.end():]
        parts.append(text)
    dest.write_text("\n\n".join(parts), encoding="utf-8")


def tool_version(argv: list[str], pattern: str = r"\d+(\.\d+)+") -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return "not installed"
    m = re.search(pattern, out)
    return m.group(0) if m else out.strip().splitlines()[0] if out.strip() else "unknown"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ram = "unknown"
    try:
        kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        ram = f"{kb / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        pass
    os_name = platform.platform()
    try:
        os_name = re.search(r'^PRETTY_NAME="?([^"\n]+)', Path("/etc/os-release").read_text(), re.M).group(1)
    except (OSError, AttributeError):
        pass
    venv_python = ROOT / ".venv" / "bin" / "python"
    weasy = tool_version([str(venv_python), "-c", "import weasyprint; print(weasyprint.__version__)"])
    pydocx = tool_version([str(venv_python), "-c", "import importlib.metadata as m; print(m.version('python-docx'))"])
    return {
        "CPU": f"{cpu}, {os.cpu_count()} logical cores ({len(os.sched_getaffinity(0))} usable by this process)",
        "RAM": ram,
        "OS": f"{os_name}, kernel {platform.release()}",
        "Python": tool_version([str(venv_python), "--version"]),
        "WeasyPrint": weasy,
        "python-docx": pydocx,
        "LibreOffice": tool_version(["soffice", "--version"]) if shutil.which("soffice") else "not installed",
        "pandoc": tool_version(["pandoc", "--version"]) if shutil.which("pandoc") else "not installed",
    }


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def pdf_pages(path: Path) -> str:
    if not shutil.which("pdfinfo") or not path.is_file():
        return "?"
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    m = re.search(r"^Pages:\s+(\d+)", out, re.M)
    return m.group(1) if m else "?"


STEP_KEYS = ("check", "docx", "pdf", "whole", "warm", "edit", "many", "pandoc", "pandoc-html", "lo")
MANY = 45   # plans in the «many» step, as a Region builds every Ambito's


def plan_steps(plan: Path, pdz: Path, work: Path, wanted: set[str]) -> tuple[list[Step], list[str]]:
    """The steps to measure, with the preparation of the wanted ones done; notes for the report."""
    notes: list[str] = []
    out = lambda name: str(work / name)  # noqa: E731 - a tiny local helper
    steps = [
        Step("check", "`pdz check`", [str(pdz), "check", str(plan)]),
        Step("docx", "`pdz build --format docx`", [str(pdz), "build", str(plan), "-o", out("docx"), "--format", "docx"]),
        Step("pdf", "`pdz build --format pdf`", [str(pdz), "build", str(plan), "-o", out("pdf"), "--format", "pdf"]),
        Step("whole", "`pdz build --format pdf,docx` (whole build)",
             [str(pdz), "build", str(plan), "-o", out("whole"), "--format", "pdf,docx"]),
    ]
    for s in steps[1:]:
        s.argv.append("--senza-cache")      # cold: every part laid out
    steps += edit_steps(plan, pdz, work, wanted, notes)
    pandoc = Step("pandoc", "pandoc: chapters (Markdown) → DOCX", [])
    pandoc_html = Step("pandoc-html", "pandoc: whole document (our HTML) → DOCX", [])
    for step in (pandoc, pandoc_html):
        if step.key not in wanted:
            step.skipped = "not selected with --only"
        elif not shutil.which("pandoc"):
            step.skipped = "pandoc is not installed (`apt-get install -y pandoc`): step skipped."
    if not pandoc.skipped:
        md = work / "capitoli.md"
        pandoc_input(plan, md)
        pandoc.argv = ["pandoc", "-f", "markdown", "-t", "docx", "-o", out("pandoc.docx"), str(md)]
    if not pandoc_html.skipped:
        prep = subprocess.run([str(pdz), "build", str(plan), "-o", out("html"), "--format", "html"],
                              cwd=ROOT, capture_output=True, text=True)
        html = next((work / "html").glob("*.html"), None)
        if prep.returncode or html is None:
            pandoc_html.skipped = f"could not build the HTML to convert ({prep.stderr.strip()[-300:]})."
        else:
            pandoc_html.argv = ["pandoc", "-f", "html", "-t", "docx", "-o", out("pandoc-html.docx"), str(html)]
    steps += [pandoc, pandoc_html]

    lo = Step("lo", "LibreOffice: our DOCX → PDF", [])
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if "lo" not in wanted:
        lo.skipped = "not selected with --only"
    elif not soffice:
        lo.skipped = "LibreOffice is not installed (`apt-get install -y libreoffice-writer-nogui`): step skipped."
    else:
        prep = subprocess.run([str(pdz), "build", str(plan), "-o", out("lo-in"), "--format", "docx"],
                              cwd=ROOT, capture_output=True, text=True)
        docx = next((work / "lo-in").glob("*.docx"), None)
        if prep.returncode or docx is None:
            lo.skipped = f"LibreOffice step skipped: could not build the DOCX to convert ({prep.stderr.strip()[-300:]})."
        else:
            profile = (work / "lo-profile").as_uri()
            lo.argv = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                       "--convert-to", "pdf", "--outdir", out("lo"), str(docx)]
            warm, tail = measure(lo.argv, ROOT, dict(os.environ))
            if warm.returncode:
                lo.skipped = f"LibreOffice warm-up failed (exit {warm.returncode}): {tail.strip()[-300:]}"
            else:
                notes.append(f"LibreOffice warm-up run (not counted): {warm.wall:.1f} s.")
    steps.append(lo)
    for s in steps:
        if s.key not in wanted and not s.skipped:
            s.skipped = "not selected with --only"
    return steps, notes


def edit_steps(plan: Path, pdz: Path, work: Path, wanted: set[str], notes: list[str]) -> list[Step]:
    """Builds with the layout cache (render/pdf.py): unchanged; after one sentence of one chapter changed;
    and MANY plans at once (copies of the plan with other Ambito names), all cold."""
    cache = {"PDZ_CACHE": str(work / "cache")}
    warm = Step("warm", "`pdz build` again, nothing changed (layout cache)",
                [str(pdz), "build", str(plan), "-o", str(work / "warm"), "--format", "pdf,docx"], env=cache)
    copy = work / "piano-modificato"
    shutil.copytree(plan, copy, ignore=shutil.ignore_patterns(".git"))
    chapter = sorted((copy / "capitoli").glob("*.md"))[len(list((copy / "capitoli").glob("*.md"))) // 2]
    original = chapter.read_text(encoding="utf-8")
    sentence = re.search(r"^[A-Z][^{}\n|#>*]{60,}?\.", original, re.M).group(0)
    edits = iter(range(1, 10**6))

    def change_one_sentence() -> None:
        chapter.write_text(original.replace(sentence, sentence[:-1] + f" (revisione {next(edits)}).", 1),
                           encoding="utf-8")

    edit = Step("edit", f"`pdz build` after one sentence of {chapter.name} changed (layout cache)",
                [str(pdz), "build", str(copy), "-o", str(work / "edit"), "--format", "pdf,docx"],
                before=change_one_sentence, env=cache)
    many = Step("many", f"`pdz build` of {MANY} plans at once (cold)", [])
    if "many" in wanted:
        plans = []
        for i in range(MANY):
            dest = work / "piani" / f"ambito-{i + 1:02d}"
            shutil.copytree(plan, dest, ignore=shutil.ignore_patterns(".git"))
            yaml = dest / "piano.yaml"
            yaml.write_text(re.sub(r"^ambito: .*$", f"ambito: Ambito di prova {i + 1}",
                                   yaml.read_text(encoding="utf-8"), count=1, flags=re.M), encoding="utf-8")
            plans.append(str(dest))
        many.argv = [str(pdz), "build", *plans, "-o", str(work / "many"), "--format", "pdf,docx", "--senza-cache"]
    if wanted & {"warm", "edit"}:
        for target in (plan, copy):   # fill the cache once, not counted
            subprocess.run([str(pdz), "build", str(target), "-o", str(work / "prima"), "--format", "pdf,docx"],
                           cwd=ROOT, env={**os.environ, **cache}, capture_output=True, check=True)
        notes.append(f"Layout cache filled before the cached steps (not counted); edited sentence: «{sentence[:60]}…».")
    return [warm, edit, many]


def fmt(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}"


def table(steps: list[Step]) -> str:
    rows = ["| Step | Wall median (s) | Wall min–max (s) | CPU user+sys (s) | CPU/wall | Max RSS, largest process (MB) "
            "| Tree peak RSS, sampled (MB) | Tree peak PSS, sampled (MB) | Busy processes at once |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in steps:
        if s.skipped or not s.runs:
            rows.append(f"| {s.label} | skipped | | | | | | | |")
            continue
        walls = [r.wall for r in s.runs]
        label = f"{s.label} **(failed, see below)**" if s.failed else s.label
        rows.append(f"| {label} | {fmt(s.median('wall'))} | {fmt(min(walls))}–{fmt(max(walls))} "
                    f"| {fmt(s.median('cpu'))} | {fmt(s.median('cpu') / s.median('wall'))} "
                    f"| {s.median('maxrss_mb'):.0f} | {s.median('tree_rss_mb'):.0f} | {s.median('tree_pss_mb'):.0f} | {max(r.busy for r in s.runs)} |")
    return "\n".join(rows)


def targets(by: dict[str, Step]) -> list[str]:
    def ok(step: str) -> bool:
        return step in by and not by[step].skipped and bool(by[step].runs)

    def wall(step: str) -> float:
        return by[step].median("wall")

    lines = ["| Target | Measured | Status |", "|---|---|---|"]
    if ok("check"):
        lines.append(f"| `pdz check` < 0.5 s | {fmt(wall('check'))} s | {'met' if wall('check') < 0.5 else 'missed'} |")
    def compare(target: str, ours: str, theirs: str, limit: float, label: str) -> None:
        if not (ok(ours) and ok(theirs)):
            lines.append(f"| {target} | not measured (step skipped) | — |")
            return
        ratio = wall(ours) / wall(theirs)
        lines.append(f"| {target} | {fmt(wall(ours))} s vs {label} {fmt(wall(theirs))} s ({ratio:.2f}×) "
                     f"| {'met' if ratio <= limit else 'missed'} |")

    compare("DOCX no slower than pandoc (pandoc on the chapters)", "docx", "pandoc", 1, "pandoc")
    compare("DOCX no slower than pandoc (pandoc on the whole document, same text as our DOCX)", "docx",
            "pandoc-html", 1, "pandoc")
    compare("Whole build ≤ 1.5× LibreOffice DOCX→PDF", "whole", "lo", 1.5, "LibreOffice")
    compare("Whole build ≤ 1.5× LibreOffice DOCX→PDF, nothing changed since the last build (cache)", "warm", "lo",
            1.5, "LibreOffice")
    compare("Rebuild after one sentence changed ≤ 25% of a cold build", "edit", "whole", 0.25, "cold build")
    if ok("many") and ok("whole"):
        ratio = wall("many") / (MANY * wall("whole"))
        lines.append(f"| {MANY} plans at once ≤ 0.6× the sum of single builds | {fmt(wall('many'), 1)} s vs "
                     f"{MANY} × {fmt(wall('whole'))} s = {fmt(MANY * wall('whole'), 1)} s ({ratio:.2f}×) "
                     f"| {'met' if ratio <= 0.6 else 'missed'} |")
    if ok("whole"):
        pss, rss = by["whole"].median("tree_pss_mb"), by["whole"].median("tree_rss_mb")
        lines.append(f"| Whole build, tree peak memory ≤ 250 MB (PSS; summed RSS, shared pages counted again: "
                     f"{rss:.0f} MB) | {pss:.0f} MB | {'met' if pss <= 250 else 'missed'} |")
    if ok("whole"):
        busy = max(r.busy for r in by["whole"].runs)
        cpu_ratio = by["whole"].median("cpu") / wall("whole")
        lines.append(f"| The PDF's parts laid out on the {len(os.sched_getaffinity(0))} cores at once | {busy} busy "
                     f"process(es) at once; CPU/wall {cpu_ratio:.2f} | {'met' if busy >= 2 else 'missed'} |")
    return lines


def report(steps: list[Step], notes: list[str], args: argparse.Namespace, info: dict[str, str],
           load_before: str, load_after: str, work: Path) -> str:
    by = {s.key: s for s in steps}
    today = dt.date.today().isoformat()
    command = f".venv/bin/python scripts/benchmark.py --plan {args.plan} -n {args.repeat}" + (" --write" if args.write else "")
    out = [f"Measured on {today}, {args.repeat} repetition(s) per step, median reported. Reproduce with:", "",
           "```sh", command, "```", "", table(steps), ""]
    pages = []
    if not by["pdf"].skipped and by["pdf"].runs:
        pages.append(f"our PDF: {pdf_pages(next((work / 'pdf').glob('*.pdf'), Path('-')))} pages")
    if not by["lo"].skipped and by["lo"].runs:
        pages.append(f"LibreOffice's PDF of our DOCX: {pdf_pages(next((work / 'lo').glob('*.pdf'), Path('-')))} pages")
    if pages:
        out += [f"Page counts (pdfinfo): {'; '.join(pages)}.", ""]
    for s in steps:
        if s.skipped:
            out += [f"- Skipped: {s.label}: {s.skipped}"]
        if s.failed:
            out += [f"- FAILED: {s.label}: {s.failed}"]
    out += [f"- {n}" for n in notes]
    out += [f"- Load average (1, 5, 15 min) before: {load_before}; after: {load_after}. A load near the number "
            "of cores means other work shared the machine and wall times are inflated; CPU times are less affected.",
            ""]
    out += ["Targets:", ""] + targets(by) + [""]
    out += ["Machine:", ""] + [f"- {k}: {v}" for k, v in info.items()] + [""]
    return "\n".join(out)


def write_benchmarks(section: str) -> None:
    block = f"{BEGIN}\n{section.rstrip()}\n{END}"
    if BENCHMARKS.is_file():
        text = BENCHMARKS.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            text = head + block + rest.split(END, 1)[1]
        else:
            text = text.rstrip() + "\n\n" + block + "\n"
    else:
        text = "# Benchmarks\n\n" + block + "\n"
    BENCHMARKS.write_text(text, encoding="utf-8")


# --- In-process profile of the PDF rendering -------------------------------------------------

# (owner module or class, attribute, phase key). Top-level phases do not overlap; the phases
# whose key contains "/" run inside the phase named before the slash.
PHASES = [
    ("weasyprint:HTML", "__init__", "html"),
    ("weasyprint.document", "get_all_computed_styles", "styles"),
    ("weasyprint.document", "build_formatting_structure", "boxes"),
    ("weasyprint.document", "layout_document", "layout"),
    ("weasyprint.layout.block", "table_wrapper_width", "layout/table-widths"),
    ("weasyprint.layout.block", "table_layout", "layout/table-rows"),
    ("weasyprint.layout.inline", "split_first_line", "layout/text"),
    ("weasyprint.layout.preferred", "split_first_line", "layout/text"),
    ("pyphen:Pyphen", "iterate", "layout/hyphenation"),
    ("weasyprint.layout.inline", "handle_leader", "layout/leaders"),
    ("weasyprint.layout", "make_margin_boxes", "layout/margin-boxes"),
    ("weasyprint.layout.page", "remake_page", "layout/page-passes"),
    ("pdz_docs.render.html", "overflowing_tables", "overflow"),
    ("weasyprint.document", "draw_page", "draw"),
    ("weasyprint.draw", "draw_text", "draw/text"),
    ("weasyprint.pdf", "add_tags", "tags"),
    ("weasyprint.pdf", "build_fonts_dictionary", "fonts"),
    ("pydyf:PDF", "write", "write"),
]
PHASE_LABELS = {
    "html": "HTML parsing (tinyhtml5)",
    "styles": "CSS parsing and cascade (selector matching for every element)",
    "boxes": "Box tree (computed values, counters, string-set, ::after content)",
    "layout": "Layout (pages, blocks, lines, tables)",
    "layout/table-widths": "of which: table column widths (auto layout measures every cell)",
    "layout/table-rows": "of which: table rows (incl. page breaks, repeated headers)",
    "layout/text": "of which: text shaping and line breaking (Pango), everywhere",
    "layout/hyphenation": "of which: hyphenation dictionary look-ups (pyphen)",
    "layout/leaders": "of which: TOC leaders",
    "layout/margin-boxes": "of which: margin boxes (running header, page numbers)",
    "layout/page-passes": "of which: page layout passes (1 per page = no re-layout)",
    "overflow": "Wide-table check (pdz_docs, walks the page boxes)",
    "draw": "Drawing (PDF content streams)",
    "draw/text": "of which: text runs",
    "tags": "Tagged-PDF structure tree (PDF/A-2a, PDF/UA)",
    "fonts": "Fonts: subsetting and embedding (HarfBuzz, or fontTools without it)",
    "write": "PDF serialisation and compression (pydyf)",
}


class PhaseTimer:
    """Inclusive wall and CPU time of the functions in PHASES (outermost call only)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._depth: dict[str, int] = {}
        self._restore: list[tuple[object, str, object]] = []

    def install(self) -> None:
        import importlib

        for target, attr, key in PHASES:
            module_name, _, class_name = target.partition(":")
            owner = importlib.import_module(module_name)
            if class_name:
                owner = getattr(owner, class_name)
            original = getattr(owner, attr, None)
            if original is None:
                print(f"profile: {target}.{attr} not found in this WeasyPrint version", file=sys.stderr)
                continue
            setattr(owner, attr, self._wrap(original, key))
            self._restore.append((owner, attr, original))

    def uninstall(self) -> None:
        for owner, attr, original in reversed(self._restore):
            setattr(owner, attr, original)

    def _timed_call(self, key: str, call):
        if self._depth.get(key):
            return call()
        self._depth[key] = 1
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return call()
        finally:
            self.wall[key] = self.wall.get(key, 0.0) + time.perf_counter() - wall
            self.cpu[key] = self.cpu.get(key, 0.0) + time.process_time() - cpu
            self._depth[key] = 0

    def _wrap(self, original, key: str):
        import inspect

        if inspect.isgeneratorfunction(original):
            # layout_document and make_margin_boxes are generators: time each step, not the
            # creation of the generator, and leave out the consumer's work between steps.
            def timed_generator(*args, **kwargs):
                self.calls[key] = self.calls.get(key, 0) + 1
                steps = original(*args, **kwargs)
                done = object()
                while (item := self._timed_call(key, lambda: next(steps, done))) is not done:
                    yield item
            return timed_generator

        def timed(*args, **kwargs):
            self.calls[key] = self.calls.get(key, 0) + 1
            return self._timed_call(key, lambda: original(*args, **kwargs))
        return timed


def profile_pdf(plan: Path, cprofile_out: Path | None) -> str:
    """Render the plan's PDF in this process, timing WeasyPrint's phases; a Markdown table."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", "946684800")
    sys.path.insert(0, str(ROOT))
    from pdz_docs.pipeline import run
    from pdz_docs.render import html as html_render
    from pdz_docs.document.builder import build_document
    from pdz_docs.provenance import provenance

    result, _ = run(plan)
    if result is None:
        raise SystemExit("the plan has errors: run `pdz check` first")
    html = html_render.render_html(build_document(result, provenance(result.plan))[0])
    import weasyprint  # noqa: F401 - imported before timing starts

    layout = getattr(html_render, "layout_pdf", None) or html_render.render_pdf
    timer = PhaseTimer()
    timer.install()
    profiler = None
    if cprofile_out:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        layout(html, [plan, html_render.TEMPLATES], html_render.TEMPLATES)
    finally:
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(cprofile_out))
        timer.uninstall()
    rows = ["| Phase | Wall (s) | CPU (s) | Share of CPU | Calls |", "|---|---:|---:|---:|---:|"]
    top = 0.0
    for key, label in PHASE_LABELS.items():
        if key not in timer.wall:
            continue
        if "/" not in key:
            top += timer.cpu[key]
        indent = "&nbsp;&nbsp;&nbsp;" if "/" in key else ""
        rows.append(f"| {indent}{label} | {timer.wall[key]:.2f} | {timer.cpu[key]:.2f} "
                    f"| {100 * timer.cpu[key] / cpu:.0f}% | {timer.calls[key]} |")
    rows.append(f"| Other (PDF objects, anchors, metadata, images, …) | | {cpu - top:.2f} "
                f"| {100 * (cpu - top) / cpu:.0f}% | |")
    rows.append(f"| **Total `layout_pdf`** | **{wall:.2f}** | **{cpu:.2f}** | 100% | |")
    note = " (cProfile on: times are inflated)" if cprofile_out else ""
    return f"PDF rendering of {plan.name}/, phase by phase{note}; load average {loadavg()}:\n\n" + "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--plan", type=Path, default=Path("content"), help="plan folder (default: content)")
    p.add_argument("-n", "--repeat", type=int, default=3, help="repetitions per step (default: 3)")
    p.add_argument("--only", help=f"comma-separated steps to run, among {','.join(STEP_KEYS)} (default: all)")
    p.add_argument("--write", action="store_true", help=f"update the generated section of {BENCHMARKS.name}")
    p.add_argument("--profile-pdf", action="store_true",
                   help="instead of the benchmark: render the PDF in this process and time WeasyPrint's phases")
    p.add_argument("--cprofile", type=Path, help="with --profile-pdf: also dump cProfile stats to this file")
    args = p.parse_args(argv)
    if args.profile_pdf:
        plan = (ROOT / args.plan).resolve() if not args.plan.is_absolute() else args.plan
        print(profile_pdf(plan, args.cprofile))
        return 0
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    plan = (ROOT / args.plan).resolve() if not args.plan.is_absolute() else args.plan
    pdz = ROOT / ".venv" / "bin" / "pdz"
    if not pdz.is_file():
        p.error(f"{pdz} not found: run `bash run test` once to create the environment")
    wanted = set(args.only.split(",")) if args.only else set(STEP_KEYS)
    if wanted - set(STEP_KEYS):
        p.error(f"unknown step(s) in --only: {', '.join(sorted(wanted - set(STEP_KEYS)))}")
    env = dict(os.environ)
    info = machine()
    with tempfile.TemporaryDirectory(prefix="pdz-bench-") as tmp:
        work = Path(tmp)
        steps, notes = plan_steps(plan, pdz, work, wanted)
        load_before = loadavg()
        for i in range(args.repeat):
            for s in steps:
                if s.skipped:
                    continue
                if s.before:
                    s.before()
                run, tail = measure(s.argv, ROOT, {**env, **s.env})
                print(f"round {i + 1}/{args.repeat} {s.key:11s} {run.wall:7.2f} s  cpu {run.cpu:6.2f} s  "
                      f"maxrss {run.maxrss_mb:5.0f} MB  tree {run.tree_rss_mb:5.0f} MB  pss {run.tree_pss_mb:5.0f} MB  busy {run.busy}",
                      file=sys.stderr, flush=True)
                if run.returncode:
                    s.failed = f"exit {run.returncode}: {tail.strip()[-300:]}"
                s.runs.append(run)
        load_after = loadavg()
        text = report(steps, notes, args, info, load_before, load_after, work)
    print(text)
    if args.write:
        write_benchmarks(text)
        print(f"{BENCHMARKS.relative_to(ROOT)} updated.", file=sys.stderr)
    return 1 if any(s.failed for s in steps) else 0


if __name__ == "__main__":
    sys.exit(main())
