"""Links in text the analysis shows: none. Model-written prose and transcript words carry no URL out.

An analysis goes to a chat, a mailbox and a SharePoint library. A link in it — put there by a
transcript that says "tell them to log in at https://…", or by a model that followed such words —
would be one click away for everyone who reads it, under the bot's name. The only link an output
may carry is the one the bot adds itself (the draft's address in SharePoint), and that never passes
through here.

``strip_links`` turns Markdown links and images into their text, and replaces every URL
(``scheme://…``, ``www.…``, ``mailto:``/``javascript:``/``data:`` and the like) and every e-mail
address with :data:`REMOVED`. Chat clients and mail readers make all of those clickable, even in
text that was escaped as Markdown or HTML. ``has_link`` says whether there is anything to remove.
"""

from __future__ import annotations

import re

__all__ = ["REMOVED", "has_link", "strip_links"]

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
