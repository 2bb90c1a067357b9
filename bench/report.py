"""Figures and the one line each prints.

    bench: <name> = <value> <unit> | floor <value> | ratio <value> | target <op><value> | PASS

A target ending in `x` applies to the ratio (value ÷ floor), any other target
to the value itself. A figure may carry one more condition (`also`) that the
target cannot express, such as "the same query count for page sizes 10 and
100"; its notes say what it checked. Notes print after the line as `  # ...`.
"""

import operator
import re
from dataclasses import asdict, dataclass, field

OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}
_TARGET = re.compile(r"^(<=|>=|<|>)([0-9.]+)(x?)$")


def number(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


@dataclass
class Figure:
    name: str
    unit: str
    target: str
    value: float | int | None = None
    floor: float | int | None = None
    also: bool | None = None
    skip: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor

    @property
    def status(self) -> str:
        if self.skip:
            return "SKIP"
        op, limit, on_ratio = _TARGET.match(self.target).groups()
        measured = self.ratio if on_ratio else self.value
        if measured is None or self.also is False:
            return "FAIL"
        return "PASS" if OPS[op](measured, float(limit)) else "FAIL"

    def line(self) -> str:
        ratio = None if self.ratio is None else round(self.ratio, 2)
        text = (
            f"bench: {self.name} = {number(self.value)} {self.unit}"
            f" | floor {number(self.floor)} | ratio {number(ratio)}"
            f" | target {self.target} | {self.status}"
        )
        if self.skip:
            text += f" ({self.skip})"
        return "\n".join([text, *(f"  # {note}" for note in self.notes)])

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio, "status": self.status}


def skipped(name: str, unit: str, target: str, reason: str) -> Figure:
    return Figure(name, unit, target, skip=reason)


def failed(name: str, unit: str, target: str, error: str) -> Figure:
    """A figure whose measurement itself broke: FAIL, with the reason."""
    return Figure(name, unit, target, notes=[f"could not measure: {error}"])
