"""mcem.offline.people: who is the customer, who leads for Microsoft, which company it is."""

from __future__ import annotations

from mcem.context import MeetingContext
from mcem.model import Person, Side
from mcem.offline.people import guess_company, guess_roles, resolve
from tests.fixtures.offline.calls import chat


def test_context_names_win_and_everyone_else_is_customer() -> None:
    t = chat([("Ana", "Hello there."), ("Ben", "Hi, I run our plants."), ("Cy", "And I run finance.")])
    p = resolve(t, MeetingContext(internal_names=frozenset({"ana"})))
    assert p.sides == {"Ana": Side.internal, "Ben": Side.customer, "Cy": Side.customer}
    assert p.assumption == ""


def test_attendee_sides_from_graph_are_used() -> None:
    t = chat([("Ana", "Hello there."), ("Ben", "Hi.")])
    ctx = MeetingContext(
        people=(Person(name="Ana", side=Side.internal), Person(name="Ben", side=Side.customer))
    )
    assert resolve(t, ctx).internal == ["Ana"]


def test_speaking_for_microsoft_marks_internal_and_their_introductions_follow() -> None:
    t = chat(
        [
            (
                "Ana Ruiz",
                "I'm Ana Ruiz, the Microsoft account executive. "
                "With me from Microsoft is Dev, our architect.",
            ),
            ("Dev Shah", "Hello everyone."),
            ("Ben Ode", "Thanks for coming, we have a lot to cover."),
        ]
    )
    p = resolve(t, MeetingContext())
    assert p.internal == ["Ana Ruiz", "Dev Shah"] and p.customer == ["Ben Ode"]
    assert "Ana Ruiz and Dev Shah are taken as the Microsoft side" in p.assumption


def test_asking_the_most_questions_is_no_evidence_of_speaking_for_microsoft() -> None:
    questions = [("Ivy", f"What about point {n} in the Excel sheet?") for n in range(6)]
    answers = [("Tom", f"Point {n} is fine, we handle it well.") for n in range(6)]
    t = chat([x for pair in zip(questions, answers, strict=True) for x in pair])
    p = resolve(t, MeetingContext())
    assert p.internal == [] and p.customer == ["Ivy", "Tom"]


def test_a_partner_introduced_as_such_is_the_partner() -> None:
    t = chat(
        [
            ("Priya", "I'm from Microsoft. Marcus joins us from Adatum Consulting, our partner."),
            ("Helen", "Good morning, we run six plants."),
            ("Marcus", "Glad to be here."),
        ]
    )
    p = resolve(t, MeetingContext())
    assert p.internal == ["Priya", "Marcus"] and p.partners == {"Marcus": "Adatum Consulting"}
    # The draft's note does not call the partner's consultant Microsoft staff.
    assert "Priya is taken as the Microsoft side; Marcus as Adatum Consulting (the partner)" in p.assumption
    assert "Marcus are taken as the Microsoft side" not in p.assumption


def test_no_signal_means_everyone_is_customer() -> None:
    t = chat([("A", "Nice weather today."), ("B", "Yes, lovely and warm."), ("A", "Is it?")])
    p = resolve(t, MeetingContext())
    assert p.internal == [] and p.customer == ["A", "B"]
    assert "every speaker is treated as the customer" in p.assumption


def test_top_speaker_by_words() -> None:
    t = chat([("A", "Short."), ("B", "A much longer answer with many more words in it."), ("A", "Ok.")])
    p = resolve(t, MeetingContext(internal_names=frozenset({"C"})))
    assert p.top(Side.customer) == "B"


def test_company_guessed_from_cues_and_context_wins() -> None:
    t = chat(
        [
            ("Ana", "I'm Ana, the Microsoft account executive for Northwind."),
            ("Ben", "I'm head of operations at Northwind Traders, and here at Northwind we move freight."),
            ("Ben", "We compared AWS too, and I work for Northwind Traders since Monday."),
        ]
    )
    p = resolve(t, MeetingContext(internal_names=frozenset({"Ana"})))
    assert guess_company(t, p, MeetingContext()) == "Northwind Traders"
    assert guess_company(t, p, MeetingContext(company="Contoso")) == "Contoso"
    nothing = chat([("A", "We talked about the weather at lunch.")])
    assert guess_company(nothing, resolve(nothing, MeetingContext()), MeetingContext()) == ""


def test_unattributed_speech_is_never_the_customer() -> None:
    t = chat([("Unknown speaker", "Our biggest challenge is manual reporting."), ("Ben", "Right, it is.")])
    for ctx in (MeetingContext(), MeetingContext(internal_names=frozenset({"Ana"}))):
        p = resolve(t, ctx)
        assert p.sides["Unknown speaker"] is Side.unknown and p.customer == ["Ben"]


def test_job_titles_from_introductions() -> None:
    t = chat(
        [
            (
                "Ana Ruiz",
                "I'm Ana Ruiz, the Microsoft Account Executive. With me is Dev, our Solution Specialist.",
            ),
            ("Dev Shah", "Hello."),
            ("Ben Ode", "I'm Ben Ode, Head of Operations at Northwind Traders."),
            ("Cy Lam", "I'm fine, thanks for asking."),
        ]
    )
    assert guess_roles(t) == {
        "Ana Ruiz": "Microsoft Account Executive",
        "Dev Shah": "Solution Specialist",
        "Ben Ode": "Head of Operations",
    }


def test_a_surname_is_not_taken_for_a_job_title() -> None:
    t = chat([("Sam Patel", "I'm Sam Patel from Microsoft. What is getting in your way?")])
    assert guess_roles(t) == {}
    t = chat([("Sam Patel", "I'm Sam Patel, the Microsoft Account Executive for Fabrikam.")])
    assert guess_roles(t) == {"Sam Patel": "Microsoft Account Executive"}
