"""How long the browser editor takes to answer an edit on the default plan (target: under 300 ms).

Measures the /verifica request of a card page, the one htmx sends while the writer types: the form
turned into the edited file, the pipeline run on the shadow copy, the problems and the funds panel
rendered. The CPU time is given beside the wall time: on a busy machine the wall time grows, the CPU
time measures the work itself. Run: .venv/bin/python scripts/studio_tempo.py [-n 20] [CARTELLA]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pdz_docs.studio.app import Config, create_app

ROOT = Path(__file__).resolve().parents[1]
FIELD = 'f["programmazione",2022,"PdZ"]'


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("piano", nargs="?", type=Path, default=ROOT / "content")
    p.add_argument("-n", type=int, default=20, help="numero di modifiche misurate (predefinito: 20)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "piano"
        shutil.copytree(args.piano, plan, ignore=shutil.ignore_patterns("output", ".git"))
        app = create_app(Config(plan))
        client = app.test_client()
        page = client.get("/modifica/schede/B.2.yaml").get_data(as_text=True)
        hidden = dict(re.findall(r'<input type="hidden" name="(csrf|impronta)" value="([^"]*)"', page))
        times, cpu = [], []
        for i in range(args.n + 2):
            amount = f"{45600 + i * 1000}"
            data = {**hidden, f"{FIELD}.stato": "noto", f"{FIELD}.importo": amount, f"{FIELD}.previsto": "",
                    f"{FIELD}.nota": ""}
            start, start_cpu = time.perf_counter(), time.process_time()
            r = client.post("/verifica/schede/B.2.yaml", data=data)
            elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            assert r.status_code == 200
            if i >= 2:   # the first requests fill the shadow copy and the caches
                times.append(elapsed * 1000)
                cpu.append(elapsed_cpu * 1000)
        app.extensions["pdz_studio"]["close"]()
    load = os.getloadavg()[0]
    print(f"/verifica sul piano {args.piano.name}: mediana {statistics.median(times):.0f} ms, "
          f"minimo {min(times):.0f} ms, massimo {max(times):.0f} ms su {len(times)} modifiche; tempo di CPU: "
          f"mediana {statistics.median(cpu):.0f} ms ({os.cpu_count()} CPU, carico medio {load:.1f}: il tempo "
          "reale cresce con il carico, il tempo di CPU no)")


if __name__ == "__main__":
    main()
