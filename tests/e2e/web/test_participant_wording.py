"""The online form and its poster say exactly what the framework's participant form says."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot.conversation.frameworks import framework_for
from conversations.participant_forms import form_layout
from conversations.participant_items import FormKind
from tests.support.web_client import Client
from tests.support.web_harness import WebWorld


class Texts(HTMLParser):
    """The text of each element that has one of the wanted tags or classes, in page order;
    void elements (<input>) are closed by their parent's end tag."""

    def __init__(self, *wanted: str) -> None:
        super().__init__()
        self.wanted = set(wanted)
        self.found: dict[str, list[str]] = {w: [] for w in wanted}
        self._open: list[tuple[str, str | None]] = []  # (tag, what it is collected as)
        self._buffers: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        name = next((w for w in [tag, *classes] if w in self.wanted), None)
        self._open.append((tag, name))
        if name is not None:
            self._buffers.append((name, []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            opened, name = self._open.pop()
            if name is not None:
                collected, parts = self._buffers.pop()
                self.found[collected].append(" ".join("".join(parts).split()))
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, parts in self._buffers:
            parts.append(data)


def texts(page: str, *wanted: str) -> dict[str, list[str]]:
    parser = Texts(*wanted)
    parser.feed(page)  # void elements (<input>) are closed by their parent's end tag
    return parser.found


@pytest.mark.parametrize("kind", ["baseline", "follow_up"])
async def test_the_online_form_and_poster_use_the_frameworks_words_exactly(
    world: WebWorld, client: Client, kind: FormKind
) -> None:
    layout = form_layout(framework_for((await world.context()).programme), kind)
    path = await world.participant_form(kind=kind)
    page = (await client.get(path)).text
    found = texts(page, "legend", "radios__label", "h1", "inset-text", "label--m", "hint")
    form = layout.form
    assert found["h1"] == [layout.heading]
    assert found["inset-text"] == [form.statement]
    assert found["legend"] == [i.wording for i in layout.items] + [form.age_question]
    expected: list[str] = []
    for item in layout.items:
        if item.kind == "score":
            expected += [str(n) for n in range(item.min, item.max + 1)]
        else:
            expected += [o.label for o in item.options]
    assert found["radios__label"] == expected + [b.label for b in form.age_bands]
    scores = [
        f"{i.min} = {i.min_label}, {i.max} = {i.max_label}"
        for i in layout.items
        if i.kind == "score"
    ]
    assert found["hint"] == [*scores, f"{form.code_recipe} {form.code_help}"]
    assert found["label--m"] == [form.code_question]

    poster = texts((await client.get(path + "/poster")).text, "h1", "heading", "statement")
    assert poster == {
        "h1": [layout.title],
        "heading": [layout.heading],
        "statement": [form.statement],
    }
