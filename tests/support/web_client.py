"""A plain HTTP client for the web check-in: GET pages, fill their forms, follow redirects."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import aiohttp

_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


@dataclass
class Page:
    status: int
    url: str
    text: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return str(aiohttp.client.URL(self.url).path)

    def hidden(self) -> dict[str, str]:
        """The hidden fields of the page's first form."""
        return {name: html.unescape(value) for name, value in _HIDDEN.findall(self.text)}

    def form_action(self, index: int = 0) -> str:
        return html.unescape(_ACTION.findall(self.text)[index])

    @property
    def title(self) -> str:
        found = re.search(r"<title>(.*?)</title>", self.text, re.S)
        return html.unescape(found.group(1)) if found else ""

    @property
    def heading(self) -> str:
        found = re.search(r"<h1[^>]*>(.*?)</h1>", self.text, re.S)
        return re.sub(r"<[^>]+>", "", html.unescape(found.group(1))).strip() if found else ""

    @property
    def error(self) -> str | None:
        found = re.search(
            r'<p id="(?:email-)?error" class="error-message">(.*?)</p>', self.text, re.S
        )
        if found is None:
            return None
        return re.sub(r"<[^>]+>", "", html.unescape(found.group(1))).replace("Error:", "").strip()


class Client:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url

    def _url(self, url: str) -> str:
        return url if url.startswith("http") else self.base_url + url

    async def get(self, url: str) -> Page:
        async with self.session.get(self._url(url)) as response:
            return Page(
                response.status, str(response.url), await response.text(), dict(response.headers)
            )

    async def post(self, url: str, data: dict[str, str], *, follow: bool = True) -> Page:
        async with self.session.post(self._url(url), data=data, allow_redirects=follow) as response:
            return Page(
                response.status, str(response.url), await response.text(), dict(response.headers)
            )

    async def submit(self, page: Page, fields: dict[str, str], *, index: int = 0) -> Page:
        """Post the page's form (hidden fields included) with these fields."""
        return await self.post(page.form_action(index), {**page.hidden(), **fields})


async def _page(response: aiohttp.ClientResponse) -> Page:
    return Page(response.status, str(response.url), await response.text(), dict(response.headers))
