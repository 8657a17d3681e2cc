"""The `pdz` command: check, cifre, schema, build, new, watch, diff; the one place that prints a build."""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

from pdz_docs import __version__, argparse_it
from pdz_docs.render import PDF_VARIANTS
from pdz_docs.problems import has_errors, report, sort_problems, summary, to_json

DEFAULT_PLAN = Path("content")


_Parser = argparse_it.Parser   # the name other commands' parsers were made with


def _parser() -> argparse.ArgumentParser:
    argparse_it.install()  # usage, help and usage errors in Italian
    p = argparse_it.Parser(prog="pdz", description="Scrivere, verificare e produrre il Piano Sociale di Zona.")
    p.add_argument("--version", action="version", version=f"pdz-docs {__version__}",
                   help="mostra la versione del programma ed esce")
    sub = p.add_subparsers(dest="comando", metavar="COMANDO", parser_class=argparse_it.Parser)
    c = sub.add_parser("check", help="verifica il piano e riporta tutti i problemi")
    c.add_argument("piani", nargs="*", type=Path, metavar="PIANO",
                   help="cartelle dei piani (predefinito: content); più cartelle sono verificate in parallelo")
    c.add_argument("--strict", action="store_true", help="anche gli avvisi fanno fallire la verifica")
    c.add_argument("--json", action="store_true", help="stampa i problemi in JSON")
    c.add_argument("--definitivo", action="store_true",
                   help="verifica il piano come definitivo: ogni elemento ancora da completare è un errore")
    f = sub.add_parser("cifre", help="elenca le cifre citabili nei capitoli con il loro valore")
    f.add_argument("piano", nargs="?", type=Path, default=DEFAULT_PLAN)
    s = sub.add_parser("schema", help="scrive gli schemi JSON dei file YAML per l'editor")
    s.add_argument("-o", "--output", type=Path, default=Path("schema"), metavar="CARTELLA", help="cartella di destinazione (predefinito: schema)")
    b = sub.add_parser("build", help="produce il documento del piano (PDF, DOCX, HTML)")
    b.add_argument("piani", nargs="*", type=Path, metavar="PIANO",
                   help="cartelle dei piani (predefinito: content); più piani sono prodotti in parallelo, "
                        "ciascuno in una sottocartella della destinazione")
    b.add_argument("-o", "--output", type=Path, default=Path("output"), metavar="CARTELLA", help="cartella di destinazione (predefinito: output)")
    b.add_argument("--format", default="pdf,docx", metavar="FORMATI",
                   help="formati separati da virgola: pdf, docx, xlsx, html (predefinito: pdf,docx)")
    b.add_argument("--strict", action="store_true", help="non produce nulla se ci sono avvisi")
    b.add_argument("--definitivo", action="store_true",
                   help="produce il documento definitivo: senza il segno BOZZA e senza l'elenco degli elementi "
                        "da completare; se qualcosa manca ancora non scrive nulla")
    b.add_argument("--pdf-variant", choices=PDF_VARIANTS, default=PDF_VARIANTS[0],
                   help="variante del PDF (predefinito: pdf/a-2a, archiviabile e accessibile; "
                        "pdf/a-2b è più veloce ma senza struttura per l'accessibilità)")
    b.add_argument("--senza-cache", action="store_true",
                   help="impagina tutte le parti del PDF senza riprendere quelle già impaginate nelle produzioni "
                        "precedenti (la cache è in ~/.cache/pdz-docs, o nella cartella indicata da PDZ_CACHE)")
    n = sub.add_parser("new", help="crea lo scheletro di un nuovo piano")
    n.add_argument("piano", type=Path, help="cartella del nuovo piano (non deve esistere o deve essere vuota)")
    n.add_argument("--ambito", required=True, help='nome dell\'Ambito, per es. "Casarano"')
    n.add_argument("--provincia", required=True, help='provincia, per es. "Lecce"')
    n.add_argument("--comuni", required=True, help='Comuni separati da virgola, per es. "Casarano,Ruffano"')
    n.add_argument("--capofila", help="Comune capofila (predefinito: il primo dell'elenco)")
    n.add_argument("--ciclo", default="2022-2024", help="ciclo di programmazione (predefinito: 2022-2024)")
    w = sub.add_parser("watch", help="anteprima HTML nel browser, aggiornata a ogni salvataggio")
    w.add_argument("piano", nargs="?", type=Path, default=DEFAULT_PLAN)
    w.add_argument("--porta", type=int, default=8000, help="porta su 127.0.0.1 (predefinito: 8000)")
    d = sub.add_parser("diff", help="variazioni del piano tra due revisioni git")
    d.add_argument("revisioni", nargs="+", metavar="REV",
                   help="REV_A [REV_B] [CARTELLA]: REV_B predefinito è la copia di lavoro")
    d.add_argument("--format", choices=["testo", "md", "docx", "pdf"], default="testo",
                   help="testo (terminale, predefinito), md, docx o pdf")
    d.add_argument("-o", "--output", type=Path, metavar="FILE", help="file di destinazione per md, docx, pdf")
    st = sub.add_parser("studio", help="modifica il piano dal browser, con la verifica mentre si scrive")
    st.add_argument("piano", nargs="?", type=Path, default=DEFAULT_PLAN, metavar="CARTELLA",
                    help="cartella del piano (predefinito: content)")
    st.add_argument("--host", default="127.0.0.1",
                    help="indirizzo su cui ascoltare (predefinito: 127.0.0.1, solo questo computer; un altro "
                         "indirizzo richiede gli utenti, creati con «pdz studio utenti aggiungi NOME»)")
    st.add_argument("--port", type=int, default=8700, help="porta (predefinito: 8700)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["studio", "utenti"]:   # the accounts of the browser editor: a command of its own
        from pdz_docs.studio.accounts import main_utenti

        return main_utenti(argv[2:])
    args = _parser().parse_args(argv)
    if args.comando is None:
        _parser().print_help()
        return 2
    commands = {"check": cmd_check, "cifre": cmd_cifre, "schema": cmd_schema, "build": cmd_build,
                "new": cmd_new, "watch": cmd_watch, "diff": cmd_diff, "studio": cmd_studio}
    return run_reporting_faults(commands[args.comando], args)


def run_reporting_faults(command, args) -> int:
    """Run a command; a fault of the machine or an interruption is one Italian line, never a traceback."""
    from pdz_docs import faults

    try:
        with faults.signals_unwind():
            return command(args)
    except faults.Failure as exc:
        message, code = f"pdz: errore: {exc}", 1
    except OSError as exc:
        message, code = f"pdz: errore: {faults.describe(exc)}", 1
    except KeyboardInterrupt:
        message, code = "Interrotto (Ctrl-C): nessun file lasciato a metà.", faults.INTERRUPTED
    except faults.Terminated:
        message, code = "Interrotto (segnale di terminazione): nessun file lasciato a metà.", faults.TERMINATED
    print(f"\n{message}", file=sys.stderr)
    return code


def _report(problems, as_json: bool = False, out=None, err=None) -> None:
    """Problems as editors read them: errors on standard error, the rest on standard output."""
    if as_json:
        print(to_json(problems), file=out or sys.stdout)
        return
    report(problems, out, err)


def cmd_check(args) -> int:
    plans = args.piani or [DEFAULT_PLAN]
    if len(plans) > 1:
        return _many("check", plans, args)
    return check_one(plans[0], args.strict, args.json, args.definitivo)


def check_one(plan: Path, strict: bool, as_json: bool = False, definitivo: bool = False, out=None, err=None) -> int:
    from pdz_docs.build import check

    out = out or sys.stdout
    start = time.perf_counter()
    result, problems = check(plan, definitivo)
    if result is not None and not result.definitivo:   # a draft: what is still missing, as notes
        from pdz_docs.checks.completeness import as_notes

        problems = sort_problems(problems + as_notes(result.da_completare))
    _report(problems, as_json, out, err)
    if as_json:
        return 1 if has_errors(problems, strict) else 0
    if result is not None:
        print(file=out)
        print(fund_summary(result), file=out)
    elapsed = time.perf_counter() - start
    print(f"\n{summary(problems)} ({len(result.plan.schede) if result else 0} schede, "
          f"{len(result.plan.capitoli) if result else 0} capitoli, {elapsed:.2f} s)", file=out)
    return 1 if has_errors(problems, strict) else 0


class _Printer:
    """What `pdz build` shows while it runs: its steps (unless quiet) and the problems, as they come."""

    def __init__(self, quiet: bool, out, err):
        self.quiet, self.out, self.err = quiet, out, err

    def stage(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.out, flush=True)

    def problems(self, problems) -> None:
        _report(problems, out=self.out, err=self.err)


def build_one(plan: Path, out_dir: Path, formats: list[str], strict: bool = False, pdf_variant: str | None = None,
              parallel: bool = True, quiet: bool = False, definitivo: bool = False, out=None, err=None,
              cache: bool = True) -> int:
    """`pdz build` of one plan: build it, then write its files into `out_dir` all together, or none."""
    from pdz_docs.build import JOURNAL_NAME, build, write_outputs
    from pdz_docs.faults import describe, shown

    out, err = out or sys.stdout, err or sys.stderr
    start = time.perf_counter()
    try:
        outputs, problems = build(plan, formats, strict=strict, pdf_variant=pdf_variant, parallel=parallel,
                                  out_dir=out_dir, listener=_Printer(quiet, out, err), definitivo=definitivo,
                                  cache=cache)
    except OSError as exc:
        print(f"pdz: errore: {describe(exc)}. Nessun file scritto.", file=err)
        return 1
    if outputs is None:
        why = ("Nessun file scritto (--strict)." if not has_errors(problems)
               else "Nessun file scritto: correggere i problemi e rilanciare.")
        print(f"{summary(problems)} {why}", file=err)
        return 1
    try:
        write_outputs(out_dir, outputs)
    except OSError as exc:
        kept = ("il prossimo pdz build ripristinerà i file precedenti" if (out_dir / JOURNAL_NAME).exists()
                else f"la cartella {shown(out_dir)} è rimasta com'era")
        print(f"pdz: errore: {describe(exc)}. Nessun file scritto: {kept}.", file=err)
        return 1
    print(f"{summary(problems)} File scritti in {time.perf_counter() - start:.1f} s:", file=out)
    for f in outputs.files:
        print(f"  {out_dir / f.name}  ({_describe(f)})", file=out)
    if not outputs.result.definitivo:
        n = len(outputs.result.da_completare)
        print(f"Bozza: {n} {'elemento' if n == 1 else 'elementi'} da completare, elencati in fondo al documento "
              "(«pdz check» li mostra con file e riga; il documento definitivo si produce con --definitivo).", file=out)
    return 0


def _describe(output) -> str:
    size = f"{len(output.data) / 1024:.0f} KB"
    if output.format == "pdf":
        pages = _page_count(output.data)
        if pages:
            return f"{pages} pagine, {size}"
    return size


def _page_count(pdf: bytes) -> int | None:
    """The number of pages of the PDF; None if it cannot be read (nothing here may stop a build that has
    written its files)."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            return len(document.pages)
    except Exception:  # noqa: BLE001 - a count is only a courtesy in the summary
        return None


def _one(kind: str, plan: Path, args: argparse.Namespace, out_dir: Path | None) -> tuple[int, str]:
    """Check or build one plan of many, in a worker process, with what it tells kept for the summary."""
    import io

    buf = io.StringIO()
    try:
        if kind == "check":
            code = check_one(plan, args.strict, definitivo=args.definitivo, out=buf, err=buf)
        else:
            code = build_one(plan, out_dir, _formats(args), args.strict, args.pdf_variant, parallel=False,
                             quiet=True, definitivo=args.definitivo, out=buf, err=buf, cache=not args.senza_cache)
    except OSError as exc:
        from pdz_docs.faults import describe

        code = 1
        print(f"pdz: errore: {describe(exc)}", file=buf)
    except Exception as exc:  # a bug must not stop the other plans; it is reported as one
        code = 3
        print(f"pdz: errore interno su questo piano: {exc!r}", file=buf)
    return code, buf.getvalue()


def _many(kind: str, plans: list[Path], args: argparse.Namespace) -> int:
    """Several plans (e.g. every Ambito of a Region) in parallel, each reported on its own, then a summary."""
    from multiprocessing import get_context

    from pdz_docs.build import worker_dies_with_parent

    names = _unique_names(plans)
    outs = [args.output / n for n in names] if kind == "build" else [None] * len(plans)
    start = time.perf_counter()
    workers = min(len(plans), os.cpu_count() or 1)
    # Leaving the block (also on Ctrl-C or SIGTERM) terminates the workers; they unwind their builds.
    with get_context("fork").Pool(workers, worker_dies_with_parent, (os.getpid(),)) as pool:
        pending = [pool.apply_async(_one, (kind, plan, args, out)) for plan, out in zip(plans, outs)]
        results = []
        for plan, job in zip(plans, pending):
            code, text = job.get()
            results.append(code)
            print(f"=== {plan} ===")
            print(text.rstrip() + "\n")
    labels = {0: "ok", 1: "da correggere", 3: "errore interno"}
    width = max(len(str(p)) for p in plans)
    print(f"Riepilogo ({len(plans)} piani, {time.perf_counter() - start:.1f} s):")
    for plan, out, code in zip(plans, outs, results):
        where = f"  → {out}" if out is not None and code == 0 else ""
        print(f"  {str(plan):<{width}}  {labels.get(code, 'errore')}{where}")
    ok = sum(code == 0 for code in results)
    print(f"{ok} su {len(plans)} piani senza errori.")
    return 0 if ok == len(plans) else 1


def _unique_names(plans: list[Path]) -> list[str]:
    names: list[str] = []
    for plan in plans:
        base = plan.resolve().name or "piano"
        name, i = base, 2
        while name in names:
            name, i = f"{base}-{i}", i + 1
        names.append(name)
    return names


def _formats(args) -> list[str]:
    return [f.strip() for f in args.format.split(",") if f.strip()]


def fund_summary(result) -> str:
    """Available, programmed and remaining per fund, per year and over the cycle: the cells of the
    per-fund table, each in its state (what is left on the known resources, «vedi PdZ»)."""
    from pdz_docs.finance.fondi import residuo_cells
    from pdz_docs.finance.money import fmt_euro

    years = result.plan.regole.anni
    lines = ["Riepilogo per fonte (disponibile / programmato / da programmare):"]
    fondi = {fid: fo for fid, fo in result.computed.fondi.items() if fo.in_budget}
    width = max((len(fid) for fid in fondi), default=0)
    for fid, fo in fondi.items():
        per_year = ", ".join(f"{y}: {fmt_euro(fo.programmato.get(y))}" for y in years if fo.programmato.get(y))
        avail, _, rest = (c.text for c in residuo_cells(fo))
        lines.append(f"  {fid:<{width}} {avail:>16} / {fmt_euro(fo.programmato_ciclo):>16} / {rest:>16}"
                     + (f"   ({per_year})" if per_year else ""))
    return "\n".join(lines)


def cmd_cifre(args) -> int:
    from pdz_docs.figures import flatten
    from pdz_docs.pipeline import run

    result, problems = run(args.piano)
    if result is None:
        _report(problems)
        print(summary(problems))
        return 1
    for name, value in flatten(result.computed.cifre):
        print(f"{{{{ {name} }}}}".ljust(52) + value)
    print()
    for tid in sorted(result.computed.tables):
        print(f'{{{{ tabella("{tid}") }}}}'.ljust(52) + result.computed.tables[tid].title)
    print()
    for tid in sorted(result.computed.tables):
        print(f'{{{{ tabella_n("{tid}") }}}}'.ljust(52) + f"il numero della tabella «{result.computed.tables[tid].title}»")
    return 0


def cmd_schema(args) -> int:
    from pdz_docs.schema import write_schemas

    for path in write_schemas(args.output):
        print(f"scritto {path}")
    return 0


def cmd_build(args) -> int:
    from pdz_docs.build import FORMATS

    formats = _formats(args)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        print(f"pdz: errore: formato non previsto: {', '.join(unknown) or '(nessuno)'} "
              f"(ammessi: {', '.join(FORMATS)})", file=sys.stderr)
        return 2
    plans = args.piani or [DEFAULT_PLAN]
    if len(plans) > 1:
        return _many("build", plans, args)
    return build_one(plans[0], args.output, formats, args.strict, args.pdf_variant, definitivo=args.definitivo,
                     cache=not args.senza_cache)


def cmd_new(args) -> int:
    from pdz_docs.skeleton import main

    return main(args)


def cmd_watch(args) -> int:
    from pdz_docs.watch import main

    return main(args)


def cmd_diff(args) -> int:
    from pdz_docs.build import write_atomic
    from pdz_docs.diff import DiffError, prospetto
    from pdz_docs.faults import describe

    try:
        p = prospetto(args.revisioni)
    except DiffError as e:
        print(f"pdz: errore: {e.message}", file=sys.stderr)
        for line in e.details:
            print(f"  {line}", file=sys.stderr)
        return e.exit_code
    data = p.render(args.format)
    if args.format == "testo" and args.output is None:
        sys.stdout.write(data.decode("utf-8"))
        return 0
    ext = "txt" if args.format == "testo" else args.format
    path = args.output or Path("output") / f"variazioni-{p.prima.slug}-{p.dopo.slug}.{ext}"
    try:
        write_atomic(path, data)
    except OSError as e:
        print(f"pdz: errore: {describe(e, path)}", file=sys.stderr)
        return 1
    print(f"Prospetto delle variazioni scritto in {path}"
          + (" (nessuna variazione)" if p.vuoto else ""))
    return 0


def cmd_studio(args) -> int:
    from pdz_docs.studio.server import main

    return main(args)
