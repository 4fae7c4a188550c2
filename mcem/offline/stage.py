"""How far the engagement has got: the furthest MCEM stage the call shows as reached, not merely discussed.

Talking about scaling next year is no evidence of Manage & Optimize; a pilot with users live today is
evidence of Realize Value. Each stage has phrases that only fit once it has happened (past or present
tense: "went live", "weekly active", "the proof of concept was", "we renewed"); the furthest stage with
such a sentence, from any speaker, is the current stage. A customer engagement with none of them is at
Listen & Consult: the conversation itself is the discovery.
"""

from __future__ import annotations

import re

from mcem.model import Stage
from mcem.offline.scoring import Scored, Sentence

_NOT_YET = re.compile(
    r"\b(?:when|once|before|after|until|if|will|would|could|plan(?:ning)? to|want to|hope to|going to|"
    r"about to|next)\b[^,.;]{0,30}$",
    re.IGNORECASE,
)
REACHED: dict[Stage, re.Pattern[str]] = {
    Stage.manage_optimize: re.compile(
        r"\b(?:we renewed|renewed (?:the|our) (?:contract|agreement|licen[cs]es)|expanded (?:it |the"
        r" rollout )?"
        r"(?:to|across)|(?:fully|completely) rolled out|rolled (?:it )?out (?:to|across) (?:all|every)"
        r"|in production (?:for|since) (?:a|over|more than|\w+ years?)|(?:the|our) last (?:quarterly"
        r"|business) "
        r"review|second year of|optimi[sz]ing (?:the |our )?(?:usage|costs?|licen[cs]es|spend))\b",
        re.IGNORECASE,
    ),
    Stage.realize_value: re.compile(
        r"\b(?:went live|gone live|go-live (?:was|went)|(?:is|are|been) live|live since|in production"
        r"|weekly active|daily active|active users|(?:have|has) been using|are using it|rolled (?:it )?out"
        r"|hours? saved|saved \w+ hours?|adoption (?:is|was|there is)|since (?:the )?go-live|after"
        r" go-live)\b",
        re.IGNORECASE,
    ),
    Stage.empower_achieve: re.compile(
        r"\b(?:the (?:proof of concept|poc|pilot|trial) (?:was|is|has|ran|started|went)|(?:we|you)"
        r" (?:ran|started|"
        r"kicked off|are running|are in) (?:a |the )?(?:proof of concept|poc|pilot|trial)|(?:halfway|midway|"
        r"week \w+) (?:through|into|of) (?:the )?(?:proof of concept|poc|pilot|trial)|success criteria"
        r"|\w+ weeks? into (?:a|the|our) [\w-]* ?(?:proof of concept|poc|pilot|trial)"
        r"|where the (?:proof of concept|poc|pilot|trial) stands"
        r"|(?:in|during|from) the (?:proof of concept|poc|pilot|trial)\b)",
        re.IGNORECASE,
    ),
    Stage.inspire_design: re.compile(
        r"\b(?:we proposed|you proposed|(?:the|your) (?:proposal|architecture|design) (?:was|is|showed)"
        r"|design (?:workshop|session)s? (?:was|were|we held)|(?:the|those|three|two) workshops"
        r"|architecture deck|the demo (?:was|showed)|showed the demo|reference architecture)\b",
        re.IGNORECASE,
    ),
}


def current_stage(sentences: list[Scored]) -> tuple[Stage, dict[Stage, Sentence]]:
    """The furthest stage reached, and for each stage reached the first sentence that shows it."""
    reached: dict[Stage, Sentence] = {}
    for sc in sentences:
        text = sc.sentence.text
        if text.rstrip().endswith("?"):
            continue
        for stage, pattern in REACHED.items():
            m = pattern.search(text)
            if m is None or stage in reached or _NOT_YET.search(text[: m.start()]):
                continue
            reached[stage] = sc.sentence
    order = list(Stage)
    furthest = max(reached, key=order.index, default=Stage.listen_consult)
    return furthest, reached
