"""The support checker: facts, negation, injected instructions, re-attribution, calibration."""

from __future__ import annotations

from rag.answer.markers import Draft, parse_answer
from rag.engine import Engine
from rag.eval.calibrate import auc, build_pairs, calibrate
from rag.text import facts
from rag.types import Passage
from rag.verify import HeuristicChecker, verify_drafts


def passages_for(engine: Engine, question: str) -> list[Passage]:
    return engine.retrieve(question)


def judge_against(engine: Engine, text: str):  # type: ignore[no-untyped-def]
    """claim -> the heuristic's verdict against one article (its first line the headline),
    as `rag check` gives it."""
    from rag.check import check_claim
    from rag.types import Article

    checker = HeuristicChecker(engine.embedder)
    article = [Article("article", text.split("\n")[0], text)]
    return lambda claim: check_claim(claim, article, checker, engine.embedder)


def test_facts_are_numbers_dates_and_names() -> None:
    got = facts("On Friday, Keir Starmer said 1,200 people (10%) would get £5m in March.")
    assert {"friday", "keir", "starmer", "1200", "10", "5", "march"} <= got
    assert "on" not in got and "people" not in got


def test_checker_grades_true_changed_and_foreign_claims(engine: Engine) -> None:
    checker = HeuristicChecker(engine.embedder)
    ps = passages_for(engine, "How far did the Tarnvik glacier pull back?")
    glacier = [p for p in ps if p.article.doc_id == "glacier_survey"]
    sentence = next(
        glacier[0].article.text[s:e] for s, e in glacier[0].chunk.sentences
        if "41 metres" in glacier[0].article.text[s:e]
    )  # fmt: skip
    assert checker.judge(sentence, glacier).label == "supported"
    changed = checker.judge(sentence.replace("41", "44"), glacier)
    assert changed.label != "supported" and "44" in changed.missing
    negated = sentence.replace(" has ", " has not ", 1).replace(" had ", " had not ", 1)
    if negated != sentence:
        assert checker.judge(negated, glacier).label != "supported"
    assert checker.judge("Mira Okafor won the chess open.", glacier).label == "unsupported"


def test_a_sentence_citing_the_wrong_passage_is_recited(engine: Engine) -> None:
    checker = HeuristicChecker(engine.embedder)
    ps = passages_for(engine, "Who won the Brenholt chess tournament?")
    right = next(i for i, p in enumerate(ps, 1) if p.article.doc_id == "chess_final")
    wrong = next(i for i, p in enumerate(ps, 1) if p.article.doc_id != "chess_final")
    claim = "Mira Okafor won the Brenholt chess open on Sunday."
    sentences, citations = verify_drafts([Draft(claim, (wrong,))], ps, checker)
    assert sentences[0].support == "supported" and sentences[0].note.startswith("re-cited")
    assert citations[0].doc_id == ps[right - 1].article.doc_id
    assert "Mira Okafor" in citations[0].quote


def test_drop_mode_removes_unsupported_sentences(engine: Engine) -> None:
    checker = HeuristicChecker(engine.embedder)
    ps = passages_for(engine, "Who won the Brenholt chess tournament?")
    drafts = [Draft("Mira Okafor won the Brenholt chess open.", (1, 2, 3)),
              Draft("The prize was a gold car worth 90,000 euros.", (1,))]  # fmt: skip
    kept, _ = verify_drafts(drafts, ps, checker, mode="drop")
    flagged, _ = verify_drafts(drafts, ps, checker, mode="flag")
    assert len(kept) == 1 and kept[0].support == "supported"
    assert len(flagged) == 2 and flagged[1].support == "unsupported" and flagged[1].note


def test_auc() -> None:
    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.5], [0.5]) == 0.5


def test_calibration_on_the_test_corpus_separates_faults(engine: Engine) -> None:
    ids = engine.store.chunk_ids()
    passages = [Passage(c, a, 0.0, 0) for c, a in engine.store.chunks(ids).values()]
    pairs = build_pairs(passages)
    assert {p.kind for p in pairs} >= {"verbatim", "reworded", "number", "name", "other article"}
    result = calibrate(HeuristicChecker(engine.embedder), pairs)
    assert result["auc"] >= 0.9, result
    assert result["shipped"]["faulty_flagged"] >= 0.85, result
    assert result["shipped"]["correct_flagged"] <= 0.1, result


def test_rag_check_judges_with_the_sentence_vectors_each_way_makes(engine: Engine) -> None:
    from rag.check import article_passages, check_claim

    article = engine.article("glacier_survey")
    assert article is not None
    from rag.segment import split_sentences

    spans = split_sentences(article.text)
    sentence = next(t for s, e in spans if "41 metres" in (t := article.text[s:e]))
    checker = HeuristicChecker(engine.embedder)
    for way in ("late", "pooled", "separate"):
        carried = [p.vectors is not None for p in article_passages(article, engine.embedder, way)]
        assert all(carried) if way == "late" else not any(carried)  # else encoded on its own
        emb = engine.embedder
        assert check_claim(sentence, [article], checker, emb, way).label == "supported"
        changed = check_claim(sentence.replace("41", "44"), [article], checker, emb, way)
        assert changed.label != "supported" and "44" in changed.missing


SWAP_ARTICLE = (
    "Regulator acts over chatbot images\n\n"
    "Ofcom said on Monday it had made urgent contact with X about the images. "
    "X's owner, tech billionaire Elon Musk, has previously attacked the U.K.'s Labour "
    "government and was once a close adviser of President Donald Trump. "
    "The government said Ofcom had its full backing. "
    "One person familiar with the meeting said that Lammy raised the issue with Vance."
)


def test_a_claim_giving_the_action_to_another_is_not_supported(engine: Engine) -> None:
    verdict = judge_against(engine, SWAP_ARTICLE)

    swapped = verdict("The U.K. government has previously attacked the U.K.'s Labour government.")
    assert swapped.label != "supported" and swapped.doer and "Elon Musk" in swapped.doer
    assert "Elon Musk" in swapped.to_dict()["doer"]
    true = verdict("Elon Musk has previously attacked the U.K.'s Labour government.")
    assert true.label == "supported" and true.doer is None
    passive = verdict("The U.K.'s Labour government has previously been attacked by Elon Musk.")
    assert passive.doer is None
    source = verdict("Vance said that Lammy raised the issue with him.")  # who said it
    assert source.label != "supported" and source.doer and "person familiar" in source.doer
    told = verdict("A person familiar with the meeting told reporters Lammy raised it with Vance.")
    assert told.doer is None
    # the doer and the one acted on exchanged: both named, each in the other's place
    exchanged = verdict("X told Ofcom on Monday that it had made urgent contact about the images.")
    assert exchanged.label != "supported" and exchanged.doer == "Ofcom"
    kept = verdict("Ofcom said on Monday it had made urgent contact with X about the images.")
    assert kept.label == "supported" and kept.doer is None


LINK_ARTICLE = (
    "Council closes the harbour bridge\n\n"
    "The council closed the harbour bridge to traffic on Tuesday. "
    "Engineers found cracks in two of its steel supports last month. "
    "Ferry crossings will run every twenty minutes because the bridge is shut. "
    "Can commuters still cycle across the harbour?"
)


def test_a_cause_or_a_question_the_article_never_states_is_not_supported(engine: Engine) -> None:
    verdict = judge_against(engine, LINK_ARTICLE)

    # two true sentences joined by a cause (or an order in time) the article never gives
    caused = verdict("The council closed the harbour bridge to traffic on Tuesday because "
                     "engineers found cracks in two of its steel supports.")  # fmt: skip
    assert caused.label != "supported"
    assert caused.to_dict()["flaws"] == ["the passage never says because"]
    after = verdict("The council closed the harbour bridge to traffic on Tuesday, after "
                    "engineers found cracks in two of its steel supports last month.")  # fmt: skip
    assert after.label != "supported"
    stated = verdict("Ferry crossings will run every twenty minutes because the bridge is shut.")
    assert stated.label == "supported"
    apart = verdict("Engineers found cracks in two of its steel supports last month.")
    assert apart.label == "supported"
    # a question asserts nothing: a claim only it could back is not supported
    cycle = verdict("Commuters can still cycle across the harbour.")
    assert cycle.label != "supported" and "?" not in (cycle.quote or "")


def test_a_question_in_an_answer_is_not_shown_as_supported(engine: Engine) -> None:
    checker = HeuristicChecker(engine.embedder)
    ps = passages_for(engine, "Who won the Brenholt chess tournament?")
    drafts = [Draft("Who won the Brenholt chess open on Sunday? [1]", (1,)),
              Draft("Mira Okafor won the Brenholt chess open on Sunday. [1]", (1,))]  # fmt: skip
    sentences, _ = verify_drafts(drafts, ps, checker)
    assert sentences[0].support != "supported" and sentences[0].note.startswith("a question")
    assert sentences[1].support == "supported"


def test_a_lead_in_naming_the_passage_is_not_part_of_the_claim(engine: Engine) -> None:
    checker = HeuristicChecker(engine.embedder)
    ps = passages_for(engine, "Who won the Brenholt chess tournament?")
    chess = [p for p in ps if p.article.doc_id == "chess_final"]
    said = "According to the passage [n=1], Mira Okafor won the Brenholt chess open on Sunday."
    assert checker.judge(said, chess).label == "supported"
    quoted = 'The passage states: "Mira Okafor won the Brenholt chess open on Sunday."'
    assert checker.judge(quoted, chess).label == "supported"


def test_a_publication_day_backs_a_date_not_a_count(engine: Engine) -> None:
    from dataclasses import replace

    checker = HeuristicChecker(engine.embedder)
    ps = passages_for(engine, "Who won the Brenholt chess tournament?")
    chess = [replace(p, article=replace(p.article, published="2025-03-14"))
             for p in ps if p.article.doc_id == "chess_final"]  # fmt: skip
    counted = checker.judge("Mira Okafor beat 14 players to win the Brenholt chess open.", chess)
    assert counted.label != "supported" and "14" in counted.missing
    dated = checker.judge("Mira Okafor won the Brenholt chess open on 14 March.", chess)
    assert "14" not in dated.missing


def test_a_list_item_is_judged_with_its_lead_in(engine: Engine) -> None:
    checker = HeuristicChecker(engine.embedder)
    ps = passages_for(engine, "Who won the Brenholt chess tournament?")
    n = next(i for i, p in enumerate(ps, 1) if p.article.doc_id == "chess_final")
    item = f"won the Brenholt chess open on Sunday, beating the defending champion [{n}]"
    alone, _ = verify_drafts(parse_answer(f"Mira Okafor {item}.", len(ps)), ps, checker)
    assert alone[0].support == "supported"
    listed = f"The defending champion's coach said two things: 1. She {item} 2. {item}"
    sentences, _ = verify_drafts(parse_answer(listed, len(ps)), ps, checker)
    assert [s.text[:3] for s in sentences[1:]] == ["1. ", "2. "]
    assert sentences[1].support == "supported"  # "She won…" is a sentence of its own
    assert sentences[2].support != "supported"  # "won…" read with its lead-in


def test_a_copy_of_a_quote_keeps_its_negation_and_passes(engine: Engine) -> None:
    from rag.types import Article, Chunk

    text = ("The mayor said on Thursday: “It’s disgraceful, it’s reckless, and it’s not to be "
            "tolerated.” The council will meet on Monday.")  # fmt: skip
    end = text.index(" The council")
    chunk = Chunk("q#0", "q", 0, 0, len(text), text, ((0, end), (end + 1, len(text))))
    quote = [Passage(chunk, Article("q", "Mayor condemns", text), 0.0, 0)]
    checker = HeuristicChecker(engine.embedder)
    copied = "The mayor said on Thursday: \"It's disgraceful, it's reckless, and it's not to be"
    assert checker.judge(copied + ' tolerated."', quote).label == "supported"
    flipped = "The mayor said on Thursday that it's disgraceful, reckless, and to be tolerated."
    assert checker.judge(flipped, quote).label != "supported"


def test_the_verb_may_and_the_pronoun_one_are_not_facts() -> None:
    assert facts("One of the firms may face a fine, no one said.") == set()
    assert {"may", "2020", "1"} <= facts("In may 2020 one man was jailed.")
    assert "may" in facts("Theresa May resigned.") and "may" in facts("It opened on May 5.")


def test_words_put_in_another_speakers_mouth_are_not_supported(engine: Engine) -> None:
    from rag.segment import split_sentences
    from rag.types import Article, Chunk

    text = (
        "Harbour council backs the regulator\n"
        "The council said this week that the regulator had its backing, and Mayor Ana Ruiz said "
        "on Thursday: “It is reckless. The ferry company has got to get a grip of this, and the "
        "regulator has our full support to act.”\nThe ferries run again on Monday."
    )
    spans = tuple(split_sentences(text))
    chunk = Chunk("h#0", "h", 0, 0, len(text), text, spans)
    ps = [Passage(chunk, Article("h", "Harbour council backs the regulator", text), 0.0, 0)]
    checker = HeuristicChecker(engine.embedder)
    said = "the ferry company has got to get a grip of this, and the regulator has our full support"
    put = checker.judge(f"The regulator concluded that {said}.", ps)
    assert put.label != "supported" and put.doer is not None and "Ana Ruiz" in put.doer
    assert checker.judge(f"Mayor Ana Ruiz said that {said}.", ps).label == "supported"


def test_rag_check_judges_a_long_article_by_its_likeliest_chunks(engine: Engine) -> None:
    from rag.check import CHECKED_CHUNKS, article_passages, check_claim
    from rag.types import Article

    towns = ["Pellow", "Carn Point", "Saltmarsh", "Riverton", "Aldmere", "Brenholt"]
    filler = [f"The {towns[i % 6]} council met on day {i} to discuss roads, parks and library "
              "hours." for i in range(150)]  # fmt: skip
    fact = "The Tarnvik glacier retreated 41 metres last year, the survey found."
    text = "Council round-up\n" + "\n".join([*filler[:90], fact, *filler[90:]])
    checker = HeuristicChecker(engine.embedder)
    judged: list[int] = []
    original = checker.judge

    def counting(claim: str, passages: list[Passage]) -> object:
        judged.append(len(passages))
        return original(claim, passages)

    checker.judge = counting  # type: ignore[method-assign]
    article = Article("long", "Council round-up", text)
    assert len(article_passages(article, engine.embedder)) > 2 * CHECKED_CHUNKS
    verdict = check_claim(fact, [article], checker, engine.embedder)
    assert verdict.label == "supported" and verdict.quote == fact
    assert 0 < len(judged) <= CHECKED_CHUNKS


MOVED_ARTICLE = (
    "States move on electric scooters\n\n"
    "Some cities, such as Chicago, launched pilot programs for sharing scooters in June. "
    "New York State passed a bill in June to legalize the vehicle, though renting one is "
    "prohibited in Manhattan. "
    "The scooters will link the western suburbs to the port at Marcus Hook. "
    "Officials in Evergas welcomed the plan."
)


def test_a_name_moved_from_another_sentence_is_not_supported(engine: Engine) -> None:
    verdict = judge_against(engine, MOVED_ARTICLE)

    # every name is in the article, but the sentence that tells it names another
    doer = verdict("Chicago passed a bill in June to legalize the vehicle.")
    assert doer.label != "supported"
    place = verdict("The scooters will link the western suburbs to the port at Evergas.")
    assert place.label != "supported"
    assert verdict("New York State passed a bill in June to legalize the vehicle.").label == (
        "supported"
    )
    assert verdict(
        "The scooters will link the western suburbs to the port at Marcus Hook."
    ).label == ("supported")


TURNED_ARTICLE = (
    "Airlines cancel flights\n\n"
    "Combined, those totals account for 40% of Delta's entire Sunday schedule. "
    "Mexican authorities seized nearly 900 tons of precursor chemicals at Mexican ports. "
    "Albert Fox Cahn, a fellow at the NYU School of Law, echoed the point."
)


def test_a_claim_turned_round_is_not_supported(engine: Engine) -> None:
    verdict = judge_against(engine, TURNED_ARTICLE)

    # doer and object exchanged around the verb, neither a name the who-did-it check reads
    turned = verdict("Combined, 40% of Delta's entire Sunday schedule account for those totals.")
    assert turned.label != "supported"
    assert any("other way round" in f and "account" in f for f in turned.flaws)
    seized = verdict("Nearly 900 tons of precursor chemicals seized Mexican authorities at ports.")
    assert seized.label != "supported"
    # the same facts in another order, or in the passive, are backed
    moved = verdict("At Mexican ports, Mexican authorities seized nearly 900 tons of precursor "
                    "chemicals.")  # fmt: skip
    assert moved.label == "supported" and not moved.flaws
    passive = verdict("Nearly 900 tons of precursor chemicals were seized by Mexican "
                      "authorities at Mexican ports.")  # fmt: skip
    assert not any("other way round" in f for f in passive.flaws)
    # a name of several words joined by "of" replaced by another
    moved_in = verdict("Albert Fox Cahn, a fellow at the Privacy Project, echoed the point.")
    assert moved_in.label != "supported"
    kept = verdict("Albert Fox Cahn, a fellow at the NYU School of Law, echoed the point.")
    assert kept.label == "supported"
