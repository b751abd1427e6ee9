"""Citation markers in generated text: every style parsed, made-up numbers dropped, streaming."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answer.markers import MarkerStream, parse_answer
from rag.text import find_markers, strip_markers

TEXT = (
    "Ofcom opened an inquiry on Monday [2]. Musk called it censorship.[1][3] "
    "The fine could reach 10% of turnover 【3†source】. Ministers backed it (Source 1, 2). "
    "Starmer spoke twice [Source 2]. The vote was close [9]."
)


def test_every_marker_style_is_read() -> None:
    drafts = parse_answer(TEXT, n_passages=3)
    assert [d.cites for d in drafts] == [(2,), (1, 3), (3,), (1, 2), (2,), ()]
    assert drafts[-1].unknown == (9,)  # a number naming no passage is dropped
    assert [d.text for d in drafts][:2] == [
        "Ofcom opened an inquiry on Monday.",
        "Musk called it censorship.",
    ]


def test_ranges_and_lists() -> None:
    assert [ids for _, _, ids in find_markers("a [1-3] b [2; 4] c [1 and 2]")] == [
        [1, 2, 3],
        [2, 4],
        [1, 2],
    ]


def test_the_prompts_passage_tag_is_read_as_a_marker() -> None:
    # the prompt wraps passages in <passage n=3 …>; a small model cites them as [n=3]
    drafts = parse_answer("According to the passage [n=3], BA.2 is dominant.", 3)
    assert [d.cites for d in drafts] == [(3,)]
    assert [ids for _, _, ids in find_markers("x [n = 2] y [Passages 1, 3]")] == [[2], [1, 3]]


def test_a_numbered_list_keeps_its_numbers_and_its_lead_in() -> None:
    inline = "X was told to do this: 1. To explain itself 2. To reply by Friday [1] 3. it did."
    drafts = parse_answer(inline, 2)
    assert [d.text for d in drafts] == [
        "X was told to do this:", "1. To explain itself", "2. To reply by Friday", "3. it did.",
    ]  # fmt: skip
    assert drafts[2].cites == (1,) and drafts[2].claim == "X was told to do this To reply by Friday"
    lines = parse_answer("Ofcom took two steps:\n1. It called X [1].\n2. It set a deadline [2].", 2)
    assert [(d.text, d.claim) for d in lines[1:]] == [
        ("1. It called X.", "It called X."), ("2. It set a deadline.", "It set a deadline."),
    ]  # fmt: skip
    plain = parse_answer("The score was 3 to 2. Fans cheered [1].", 1)
    assert [d.text for d in plain] == ["The score was 3 to 2.", "Fans cheered."]


def test_strip_markers_leaves_clean_punctuation() -> None:
    assert strip_markers("It rained [1] , then [2][3].") == "It rained, then."


def test_stream_renumbers_by_first_citation() -> None:
    s = MarkerStream(3)
    out = "".join(s.feed(piece) for piece in ["Ofcom [", "3] acted. Musk 【", "1】 too [3]."])
    out += s.close()
    assert out == "Ofcom [1] acted. Musk [2] too [1]."


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(TEXT)), max_size=25))
def test_stream_output_does_not_depend_on_how_the_text_is_cut(cuts: list[int]) -> None:
    whole = MarkerStream(3)
    expected = whole.feed(TEXT) + whole.close()
    bounds = sorted({0, len(TEXT), *cuts})
    s = MarkerStream(3)
    got = "".join(s.feed(TEXT[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)) + s.close()
    assert got == expected
    assert "[9]" not in got and "Source" not in got and "【" not in got
