"""The demo's simulated grantees: believable answers that keep to the framework's rules."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from conversations.framework import (
    ChoiceQuestion,
    CountQuestion,
    NumberQuestion,
    ProportionQuestion,
    Question,
    ScaleQuestion,
    TextQuestion,
    YesNoQuestion,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PERIOD = "2026 Q4"
DEMO_NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)

STORIES = [
    "Two mums who met at our Saturday cook-along now run the Thursday session together.",
    "Young people from the estate and the new arrivals' group planned the summer fun day.",
    "Our walking football team played its first match against the mosque's team.",
    "The choir now sings in three languages and the audience joins in.",
]
COMMENTS = [
    "More people stay for tea afterwards.",
    "Tension after the local election, but the group held together.",
]


@dataclass
class Grantee:
    """A simulated grantee: answers what is asked, with a few planned detours."""

    rng: random.Random
    detours: dict[str, list[str]] = field(default_factory=dict)  # question id -> texts first

    def answer(self, q: Question, given: Mapping[str, object]) -> str:
        planned = self.detours.get(q.id)
        if planned:
            return planned.pop(0)
        facts = {k: v for k, v in given.items() if isinstance(v, int) and not isinstance(v, bool)}
        return plausible_answer(q, facts, self.rng)


def plausible_answer(q: Question, facts: dict[str, int], rng: random.Random) -> str:
    """A believable answer that keeps to the framework's own rules, given earlier answers."""
    if isinstance(q, CountQuestion):
        value = {
            "O1": lambda: rng.randint(8, 30),
            "O2": lambda: facts["O1"] * rng.randint(9, 20),
            "O3": lambda: rng.randint(facts["O2"] // 5, facts["O2"] // 2),
            "O4": lambda: rng.randint(facts["O3"] // 5, facts["O3"] // 2),
            "O5": lambda: rng.randint(3, 18),
            "O5H": lambda: facts["O5"] * rng.randint(6, 20),
            "O6": lambda: rng.randint(facts["O1"] // 2, facts["O1"]),
            "O8": lambda: rng.randint(10, max(10, facts["O3"] // 2)),
            "O8F": lambda: rng.randint(12, max(12, facts["O3"] // 2)),
            "P7N": lambda: rng.randint(facts["O8F"] * 2 // 3, facts["O8F"]),
        }.get(q.id, lambda: rng.randint(q.min, q.min + 20))()
        return f"{value:,}" if value > 999 else str(value)
    if isinstance(q, ProportionQuestion):
        n = rng.randint(max(1, facts.get("O8F", 20) * 2 // 3), max(1, facts.get("O8F", 20)))
        share = {"P6": 0.1, "P3": 0.45}.get(q.id, 0.75)
        x = min(n, max(0, round(n * (share + rng.uniform(-0.15, 0.15)))))
        return rng.choice([f"{x} of {n}", f"{x}/{n}", f"{x} out of {n}"])
    if isinstance(q, NumberQuestion):
        return f"{rng.uniform(6.2, 8.4):.1f}"
    if isinstance(q, ScaleQuestion):
        return str(rng.randint(q.min, q.max))
    if isinstance(q, ChoiceQuestion):
        if q.id == "G1":
            return rng.choice(["better", "1", "about the same", "Better"])
        return str(rng.randint(1, len(q.options)))
    if isinstance(q, YesNoQuestion):
        return "yes" if rng.random() < 0.25 else "no"
    assert isinstance(q, TextQuestion)
    if q.flags_incident:
        return (
            "Some name-calling between two groups of teenagers; we talked with both and it settled."
        )
    return rng.choice(STORIES if q.required else COMMENTS)
