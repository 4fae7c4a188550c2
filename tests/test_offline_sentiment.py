"""mcem.offline.sentiment: VADER tone, Microsoft and other companies named by the customer."""

from __future__ import annotations

import pytest

from mcem.offline.scoring import Sentence
from mcem.offline.sentiment import company_mentions, compound, discover, mentions_microsoft, tone


def s(text: str, speaker: str = "C") -> Sentence:
    return Sentence(utterance=0, begin=0, end=len(text), text=text, speaker=speaker, start=0.0)


def test_compound_sign() -> None:
    assert compound("The rollout was excellent and the team loves it.") > 0.5
    assert compound("The licensing conversation was painful and the answers were slow.") < -0.3


def test_tone_labels() -> None:
    assert tone([]).label == "not mentioned"
    assert tone([s("Great work, we love it."), s("Fantastic support.")]).label == "positive"
    assert tone([s("This is terrible."), s("Awful, slow and broken.")]).label == "negative"
    mixed = tone([s("Great product, we love it."), s("Terrible billing, we hate it.")] * 2)
    assert mixed.label == "mixed" and mixed.positive == 2 and mixed.negative == 2
    assert tone([s("We met on Tuesday at noon.")]).label == "neutral"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We moved our mail to Microsoft 365 last year.", True),
        ("Copilot saved our engineers hours.", True),
        ("We run everything in Teams now.", True),
        ("Our teams are spread over three sites.", False),
        ("We use Excel for the budget.", True),
        ("The plant floor is noisy.", False),
    ],
)
def test_microsoft_mentions(text: str, expected: bool) -> None:
    assert mentions_microsoft(text) is expected


def test_competitors_and_discovered_companies_but_not_the_customer_itself() -> None:
    orgs = discover(
        [
            "Marcus joins us from Adatum Consulting, our partner.",
            "We still run a system from Litware in every plant.",
            "We at Contoso Manufacturing love a good spreadsheet.",
        ]
    )
    assert orgs["Adatum"] == "Adatum Consulting" and orgs["Litware"] == "Litware"
    found = company_mentions(
        [
            s("AWS was terrible for us."),
            s("Adatum has been excellent."),
            s("Litware is the thing we work around."),
            s("Contoso has grown a lot."),
            s("Salesforce and Google came up too."),
        ],
        exclude="Contoso Manufacturing",
        orgs=orgs,
    )
    assert set(found) == {"AWS", "Adatum Consulting", "Litware", "Salesforce", "Google"}
    assert tone(found["AWS"]).label == "negative" and tone(found["Adatum Consulting"]).label == "positive"


def test_business_idioms_and_wishes_score_as_meant() -> None:
    assert compound("Where Microsoft needs to improve is speaking with one voice.") < 0
    assert compound("Litware was a good product in 2010.") < 0
    assert compound("Litware is the thing we're working around, not with.") < 0
    plain = compound("It made my CFO very happy.")
    wish = compound("If the data could feed that, it would make my CFO very happy.")
    assert 0 < wish < plain


def test_recurring_praise_and_criticism_read_as_mixed() -> None:
    praise = [s("Great work, we love it."), s("Fantastic, the team is excellent."), s("Really good results.")]
    blame = [s("The tickets were terrible."), s("Awful, slow support.")]
    assert tone(praise + blame).label == "mixed"
    assert tone(praise * 3 + blame[:1]).label == "positive"  # one complaint among many compliments
