"""Seed + size -> a feed of synthetic news articles (about one chunk each) and questions on them.

Each article reports one fact (who, where, how many, when) in a body of filler sentences drawn
from a shared vocabulary, so BM25 and the vectors see realistic overlap between articles.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

FIRST = [
    "Ada",
    "Bram",
    "Cleo",
    "Dara",
    "Emil",
    "Faye",
    "Gus",
    "Hana",
    "Ivo",
    "Jana",
    "Kofi",
    "Lena",
    "Milo",
    "Nina",
    "Omar",
    "Pia",
    "Rui",
    "Sana",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Novak",
    "Haddad",
    "Ferreira",
    "Kowalski",
    "Brennan",
    "Achebe",
    "Varga",
]
TOPICS = [
    ("council", "approved a new budget for", "road repairs"),
    ("hospital", "opened a ward for", "children with asthma"),
    ("school", "raised money for", "science kits"),
    ("harbour", "reported a record haul of", "mackerel"),
    ("festival", "sold tickets to", "visitors from abroad"),
    ("library", "lent out", "audio books"),
    ("railway", "added trains for", "commuters"),
    ("museum", "restored", "medieval manuscripts"),
    ("farm co-operative", "harvested", "apple crates"),
    ("football club", "signed", "young players"),
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
]
FILLER = [
    "Officials said the plan had been discussed for several months before the vote.",
    "Residents who spoke at the meeting were divided over the cost.",
    "The announcement follows a similar decision in a neighbouring district last year.",
    "Local businesses welcomed the news but asked for more details about the timetable.",
    "A spokesperson declined to say whether further changes were expected.",
    "Critics argued that the money could have been spent on housing instead.",
    "The regional newspaper first reported the proposal in the spring.",
    "Volunteers have been helping with the work since the start of the season.",
    "Weather delays pushed part of the schedule back by two weeks.",
    "The mayor thanked staff for their patience during the consultation.",
    "Figures published on Monday show demand has grown steadily since 2019.",
    "Opposition members said they would review the decision at the next session.",
    "Engineers are expected to inspect the site again before the end of the month.",
    "Several schools in the area have reported similar pressures on their budgets.",
    "The project is partly funded by a national grant awarded in the autumn.",
]


def town(rng: random.Random) -> str:
    """A pronounceable invented place name, e.g. 'Velmarsk'."""
    parts = ["Vel", "Tor", "Ash", "Brin", "Cal", "Dun", "Kes", "Mar", "Ost", "Ril", "Sel", "Wen"]
    ends = ["mark", "by", "ford", "holm", "wick", "stead", "ton", "vale", "moor", "sk"]
    return rng.choice(parts) + rng.choice(parts).lower() + rng.choice(ends)


def article(i: int, rng: random.Random) -> tuple[dict[str, str], dict[str, str]]:
    """One article (feed record) and one question whose answer is its fact sentence."""
    place, (body, verb, obj) = town(rng), rng.choice(TOPICS)
    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    count = rng.randint(12, 98_000)
    when = f"{rng.randint(1, 28)} {rng.choice(MONTHS)}"
    fact = f"The {place} {body} {verb} {count:,} {obj} on {when}, said {person}."
    filler = rng.sample(FILLER, 9)
    filler.insert(rng.randint(0, 3), fact)
    record = {
        "title": f"{place} {body} {verb.split()[0]} {obj}",
        "text": " ".join(filler),
        "source": "Synthetic Gazette",
        "published": f"2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }
    question = {"question": f"How many {obj} did the {place} {body} report?", "doc": f"{i}"}
    return record, question


FEED_RECORDS = 50_000  # articles a feed file: 1M articles in one file pass RAG_MAX_FILE_MB


def write_corpus(dest: Path, n_articles: int, seed: int = 0) -> list[dict[str, str]]:
    """dest/synthetic.jsonl (then synthetic-1.jsonl, ... for each further FEED_RECORDS) with
    n_articles articles; returns the questions (doc = its doc_id)."""
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    questions = []
    for part in range(0, max(n_articles, 1), FEED_RECORDS):
        stem = f"synthetic-{part // FEED_RECORDS}" if part else "synthetic"
        with (dest / f"{stem}.jsonl").open("w", encoding="utf-8") as f:
            for j in range(min(FEED_RECORDS, n_articles - part)):
                record, q = article(part + j, rng)
                f.write(json.dumps(record) + "\n")
                questions.append({**q, "doc": f"{stem}/{j}"})
    return questions
