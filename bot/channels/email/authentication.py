"""Pure: what our receiving mail server says of a reply's sender (Authentication-Results, RFC 8601).

Anyone can write an Authentication-Results header into a message, so only those whose
authserv-id is the one configured as ours (email.authserv_id) are read, and of those only the
topmost: RFC 8601 has the receiving server remove any that claim its id before adding its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from markupsafe import escape

_RESULT = re.compile(r"(?:^|;)\s*(?P<method>dmarc|dkim|spf)\s*=\s*(?P<result>[a-z]+)", re.I)
_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class SenderCheck:
    """Our server's verdict on the From address: DMARC's result, with the header it came from."""

    dmarc: str  # pass | fail | none | temperror | permerror | "" when not checked
    header: str

    @property
    def failed(self) -> bool:
        return self.dmarc == "fail"


def sender_check(message: Message, authserv_id: str | None) -> SenderCheck | None:
    """The topmost Authentication-Results of our own server, read; None without one."""
    if not authserv_id:
        return None
    for value in message.get_all("Authentication-Results", []):
        text = " ".join(_COMMENT.sub(" ", str(value)).split())
        server = text.split(";", 1)[0].split()
        if not server or server[0].lower() != authserv_id.lower():
            continue
        results = {m["method"].lower(): m["result"].lower() for m in _RESULT.finditer(text)}
        return SenderCheck(results.get("dmarc", ""), text[:500])
    return None


def unverified_notice(
    grantee_name: str, programme_name: str, period: str, sender: str, subject: str
) -> dict[str, str]:
    """The fresh email telling a grantee that a reply in their name was not taken."""
    title = f"{programme_name} check-in: a reply we could not accept"
    lines = [
        f"Hello {grantee_name},",
        "",
        f'We received a reply to your {programme_name} check-in for {period} (subject "{subject}")'
        f" from {sender}, but your email provider could not confirm that it came from that "
        "address, so none of it was recorded as your answers.",
        "",
        "If you sent it, please reply to your latest check-in email again from your usual "
        "address; if it still happens, ask whoever runs your email to check its DMARC, DKIM "
        "and SPF settings. If you did not send it, you need do nothing: your answers are "
        "unchanged.",
    ]
    text = "\n".join(lines) + "\n"
    html = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
    page = f"<!DOCTYPE html><html><body>{html}</body></html>"
    return {"subject": title, "text": text, "html": page}
