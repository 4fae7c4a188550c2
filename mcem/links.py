"""Links in text the analysis shows: none. Model-written prose and transcript words carry no URL out.

An analysis goes to a chat, a mailbox and a SharePoint library. A link in it — put there by a
transcript that says "tell them to log in at https://…", or by a model that followed such words —
would be one click away for everyone who reads it, under the bot's name. The only link an output
may carry is the one the bot adds itself (the draft's address in SharePoint), and that never passes
through here.

One more link is the bot's own: the meeting's recording, at the moment a quote was said
(:func:`recording_link` decides whether an address may be one, :func:`moment_url` points it at a time).

``strip_links`` turns Markdown links and images into their text, and replaces every URL
(``scheme://…``, ``www.…``, ``mailto:``/``javascript:``/``data:`` and the like) and every e-mail
address with :data:`REMOVED`. Chat clients and mail readers make all of those clickable, even in
text that was escaped as Markdown or HTML. ``has_link`` says whether there is anything to remove.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import math
import re
from urllib.parse import urlsplit

__all__ = ["RECORDING_HOSTS", "REMOVED", "has_link", "moment_url", "recording_link", "strip_links"]

REMOVED = "(link removed)"

# [text](target) and ![alt](target); the text is kept, the target goes. Bounded classes keep it linear.
_MARKDOWN_LINK = re.compile(r"!?\[([^\[\]\n]{0,300})\]\((?:[^()\n]|\([^()\n]{0,200}\)){0,2000}\)")
# What is left of a link's shape ("](") is broken up, so no Markdown reader can rebuild one.
_LINK_SHAPE = re.compile(r"\]\s*\(")
# A URL runs to the next space, quote or bracket; trailing sentence punctuation is left outside.
_URL = re.compile(
    r"(?i)(?<![\w@.-])"
    r"(?:(?:https?|ftps?|sftp|file|smb)://|(?:ms-[a-z-]+|javascript|vbscript|data|mailto|tel):(?=[^\s:])"
    r"|www\d{0,3}\.(?=\w))"
    r"[^\s<>\"'“”‘’()\[\]{}]*(?<![.,;:!?])"
)
_EMAIL = re.compile(r"(?i)(?<![\w.+-])[\w.+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+")


def strip_links(text: str, *, addresses: bool = True) -> str:
    """``addresses=False`` keeps e-mail addresses: our own messages name the address they refused."""
    if not has_link(text):
        return text
    text = _MARKDOWN_LINK.sub(lambda m: m.group(1), text)
    text = _URL.sub(REMOVED, text)
    if addresses:
        text = _EMAIL.sub(REMOVED, text)
    return _LINK_SHAPE.sub("] (", text)


def has_link(text: str) -> bool:
    return any(p.search(text) for p in (_MARKDOWN_LINK, _URL, _EMAIL, _LINK_SHAPE))


# Where Teams keeps meeting recordings: OneDrive and SharePoint (Stream on SharePoint), in the
# commercial cloud and the national ones. A recording address elsewhere is not a recording.
RECORDING_HOSTS = (
    ".sharepoint.com",
    ".sharepoint.us",
    ".sharepoint-mil.us",
    ".sharepoint.cn",
    ".sharepoint.de",
)
_LOOPBACK_NAMES = frozenset({"localhost"})


def recording_link(url: str) -> str | None:
    """``url`` when it may be the recording's link in an output, else None.

    Only https to a SharePoint/OneDrive host, with no user name or password in it; plain http only to
    a loopback address (the local Graph stand-in — the same exception msgraph-sdk makes). The address
    comes from Graph, not from the transcript or a model, but it still ends up one click away for
    every reader, so it is checked like any outside input.
    """
    if not url or any(c.isspace() or c in "<>\"'`\\" for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or parts.username or parts.password or port == 0:
        return None
    if parts.scheme == "https" and host.endswith(RECORDING_HOSTS):
        return url
    if parts.scheme == "http" and _loopback(host):
        return url
    return None


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def moment_url(recording: str, seconds: float) -> str:
    """The recording opened at ``seconds``, as Stream on SharePoint links to a moment.

    Stream's "Copy link" with "Start at" (and its transcript's timestamp links) add a ``nav`` query
    parameter: base64 of ``{"playbackOptions":{"startTimeInSeconds":N}}``, URL-encoded. We found no
    Microsoft Learn page that specifies it; the form is the one Stream itself writes into the links it
    hands out (seen in many public links to ``…-my.sharepoint.com/…/Recordings/…mp4`` and
    ``_layouts/15/stream.aspx?id=…&nav=…``). A player that does not know it plays from the start.
    """
    # Down to the tenth, never up: the link must not start after the second the reader sees (12:34).
    start = math.floor(max(0.0, seconds) * 10) / 10
    nav = json.dumps({"playbackOptions": {"startTimeInSeconds": start}}, separators=(",", ":"))
    token = base64.b64encode(nav.encode()).decode().replace("=", "%3D")
    return f"{recording}{'&' if '?' in recording else '?'}nav={token}"
