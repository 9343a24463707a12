"""``python -m bench [--sizes 1k,10k,100k] [--seed N] [--collect]`` from the repository root.

Each size runs in its own process (so peak memory is per size); results go to
``bench/results.json`` and ``bench/results.md``, and ``bench/RESULTS.md`` keeps the latest
table with the machine it ran on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import report

HERE = Path(__file__).resolve().parent


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--sizes", default="1k,10k,100k", help="comma-separated, e.g. 1k,10k,100k,1M"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--collect", action="store_true", help="also the moto collection benchmark")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.{json,md}")
    args = parser.parse_args(argv)
    results = []
    for size in (parse_size(s) for s in args.sizes.split(",")):
        print(f"size {size:,} …", file=sys.stderr, flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            proc = subprocess.run(
                [sys.executable, "-m", "bench.stages", str(size), str(args.seed), tmp.name],
                cwd=HERE.parent,
            )
            if proc.returncode != 0:
                results.append(
                    {"size": size, "seed": args.seed, "error": f"exit {proc.returncode}"}
                )
                continue
            results.append(json.loads(Path(tmp.name).read_text()))
    demo = []
    for _ in range(3):
        proc = subprocess.run(
            [sys.executable, "-m", "bench.demo_open"],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
        )
        if proc.returncode == 0:
            demo.append(float(proc.stdout.strip().splitlines()[-1]))
    collection = None
    if args.collect:
        from bench import collect

        collection = collect.run(latency_ms=args.latency_ms, regions=args.regions)
    doc = {
        "machine": report.machine(),
        "sizes": results,
        "collection": collection,
        "demo_open_seconds": demo,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(doc, indent=1))
    text = report.markdown(doc)
    (args.out / "results.md").write_text(text)
    if args.out.resolve() == HERE:
        (HERE / "RESULTS.md").write_text(report.results_page(text))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
