"""The words of the account brief, shared by its three renderers (card, Word, Markdown).

Plain, cleaned text from an AccountHistory; each renderer lays it out and escapes it its own way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mcem.account.history import AccountCall, AccountHistory, SentimentTrack, StepStatus, stage_strip
from mcem.model import STAGE_TITLES, Quote, Stage
from mcem.render import common as c

TITLE = "Account brief"
CALLS = "Calls"
CALL_COLUMNS = ("Date", "Call", "Customer", "Stage reached")
MOVED = "What moved since the previous call"
OPEN = "Next steps still open"
DONE = "Next steps done"
RISKS = "Risks that recur"
PARTIAL = (
    "Built from the calls you organised or attended. The account brief in SharePoint is the whole "
    "account's, for its account team, so it is not linked here."
)
OTHER_RISKS = "Other risks raised"
SENTIMENT = "Sentiment over time"
NOTHING_OPEN = "Nothing open: every next step agreed so far is shown done."
NOTHING_DONE = "No next step is shown done yet: no later call reports one done, and nobody marked one."
NO_RECURRING = "No risk was raised in more than one call."
STAGE_KEY = "Stages: " + " › ".join(STAGE_TITLES.values()) + " (● reached)."
_RELATION = {"microsoft": "", "partner": "partner", "competitor": "competitor", "other": ""}
_SHORT_LABEL = {
    "positive": "positive",
    "neutral": "neutral",
    "negative": "negative",
    "mixed": "mixed",
    "not mentioned": "—",
}


def title(history: AccountHistory) -> str:
    return f"{TITLE} – {c.clean(history.company)}"


def _day(when: datetime, year: bool = True) -> str:
    return f"{when.day} {when:%b}" + (f" {when:%Y}" if year else "")


def call_date(call: AccountCall) -> str:
    return _day(call.date) if call.date else "date not known"


def short_date(history: AccountHistory, index: int) -> str:
    call = history.calls[index]
    return _day(call.date, year=False) if call.date else f"call {index + 1}"


def stage_text(stage: Stage | None) -> str:
    return (
        f"{stage_strip(stage)} {STAGE_TITLES[stage]}"
        if stage is not None
        else f"{stage_strip(None)} not reached"
    )


def headline(history: AccountHistory) -> str:
    """One sentence an account manager reads first: how many calls, where it stands, what is open."""
    calls = history.calls
    n = len(calls)
    span = ""
    dated = [x for x in calls if x.date]
    if len(dated) > 1 and dated[0].date and dated[-1].date:
        span = f", {_day(dated[0].date, year=False)} – {_day(dated[-1].date)}"
    elif dated and dated[0].date:
        span = f", {_day(dated[0].date)}"
    parts = [f"{n} call{'s' if n != 1 else ''}{span}"]
    latest = history.latest_stage
    first = next((x.stage for x in calls if x.stage is not None), None)
    if latest is not None:
        moved = f" (from {STAGE_TITLES[first]})" if first is not None and first != latest else ""
        parts.append(f"stage now {STAGE_TITLES[latest]}{moved}")
    done, still = len(history.closed), len(history.open)
    parts.append(f"{done} next step{'s' if done != 1 else ''} done, {still} open")
    recurring = len(history.recurring_risks)
    if recurring:
        parts.append(f"{recurring} risk{'s' if recurring != 1 else ''} recurring")
    return "; ".join(parts) + "."


def customer_text(call: AccountCall) -> str:
    return ", ".join(call.customer) if call.customer else "not recorded"


def step_line(step: StepStatus, history: AccountHistory) -> str:
    """'Send the pricing comparison — Lynne Robbins, by Friday (agreed 22 Oct; asked again 12 Nov)'."""
    owner = c.clean(step.owner) or "owner not named"
    due = f", {c.clean(step.due)}" if step.due else ""
    notes = [f"agreed {short_date(history, step.raised_in)}"]
    if step.raised_again:
        notes.append("asked again " + ", ".join(short_date(history, i) for i in step.raised_again))
    if step.done_in is not None:
        notes.append(f"done by {short_date(history, step.done_in)}")
    return f"{c.clean(step.action).rstrip('.')} — {owner}{due} ({'; '.join(notes)})"


_VIA = {"outlook": "Outlook", "teams": "Teams"}


def mark_line(step: StepStatus, history: AccountHistory) -> str | None:
    """'Marked done by Sofia Farías in Outlook, 3 Dec 2026', and why it no longer counts if a later
    call asked for the step again; None when nobody marked it."""
    mark = step.marked
    if mark is None:
        return None
    who = f" by {c.clean(mark.by)}" if mark.by else ""
    line = f"Marked done{who} in {_VIA[mark.via]}, {_day(mark.at.astimezone(UTC))}"
    if step.marked_in is not None and step.marked_in != step.raised_in:
        line += f" (on the summary of {short_date(history, step.marked_in)})"
    if step.reopened_in is not None:
        line += f"; asked for again on {short_date(history, step.reopened_in)}, so still open"
    return line + "."


def evidence_line(quote: Quote, history: AccountHistory, call: int) -> str:
    """'“I sent it back last Thursday.” — Anika Schulz, 12 Nov [04:31]'."""
    speaker, when = c.speaker_and_time(quote)
    at = f" {when}" if when else ""
    return f"{c.quote_text(quote)} — {speaker}, {short_date(history, call)}{at}"


def risk_calls(calls: list[int], history: AccountHistory) -> str:
    return ", ".join(short_date(history, i) for i in calls)


def relation(track: SentimentTrack) -> str:
    return _RELATION[track.relation]


def sentiment_cells(track: SentimentTrack, history: AccountHistory) -> list[str]:
    """One cell per call: the label said at that call, '—' where the company did not come up."""
    by_call = {p.call: p.label for p in track.points}
    return [_SHORT_LABEL[by_call[i]] if i in by_call else "—" for i in range(len(history.calls))]


def sentiment_line(track: SentimentTrack, history: AccountHistory) -> str:
    """'Microsoft: neutral (22 Oct) → positive (30 Nov)'; a competitor the customer spoke well of is
    'rated well, a threat', not the draft's 'negative' (for Microsoft)."""
    steps = [
        f"{'rated well, a threat' if p.threat else p.label} ({short_date(history, p.call)})"
        for p in track.points
    ]
    who = c.clean(track.company) + (f" ({relation(track)})" if relation(track) else "")
    return f"{who}: " + " → ".join(steps)


FOOTNOTE = (
    "Built from the analysis kept beside each call's draft. Quotes are verbatim from the calls' "
    "transcripts, checked when each call was analysed; a next step is shown done with the later call's "
    "own words, or as marked done by a person on the summary email (who and when), unless a call after "
    "the mark asked for it again. Internal to the account team: do not send to the customer."
)
