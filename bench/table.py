"""The latest figures of both databases as one Markdown table (for the README).

    .venv/bin/python -m bench.table

Reads var/bench/last-sqlite.json and var/bench/last-postgresql.json, which
`make bench` writes after each full run.
"""

import json

from .database import BENCH_DIR
from .report import number

VENDORS = [("sqlite", "SQLite"), ("postgresql", "PostgreSQL")]


def _cell(figure: dict | None) -> str:
    if figure is None:
        return ""
    if figure["status"] == "SKIP":
        return "SKIP"
    text = f"{number(figure['value'])} {figure['unit']}"
    if figure["ratio"] is not None:
        text += f" ({figure['ratio']:.2f}×)"
    return f"{text} {figure['status']}"


def main() -> None:
    runs, names = {}, []
    for vendor, _label in VENDORS:
        path = BENCH_DIR / f"last-{vendor}.json"
        if path.exists():
            figures = json.loads(path.read_text())["figures"]
            runs[vendor] = {f["name"]: f for f in figures}
            names += [f["name"] for f in figures if f["name"] not in names]
    labels = [label for vendor, label in VENDORS if vendor in runs]
    print("| figure | target | " + " | ".join(labels) + " |")
    print("|---|---|" + "---|" * len(labels))
    for name in names:
        figures = [runs[v].get(name) for v, _ in VENDORS if v in runs]
        target = " / ".join(dict.fromkeys(f["target"] for f in figures if f))
        cells = " | ".join(_cell(f) for f in figures)
        print(f"| `{name}` | {target} | {cells} |")


if __name__ == "__main__":
    main()
