"""Cold start: wall time of fresh processes that import embedsdk or embed one text, cached and not.

    python benchmarks/cold.py [--runs 5] [--provider minilm] [-O precision=fp32] [--no-onnx]

Each case runs ``--runs`` times in a fresh process, the cases taking turns (bare interpreter, import, cached
CLI, uncached CLI, cached ``python -c``, uncached ``python -c``, then the CLI cases again with
``-O backend=onnx``), so machine noise hits them alike. "Cached"
embeds a text already in the cache; "uncached" a text never seen before (a new one each run), with the same
cache folder, so the model's stored facts (file digests, tokenizer spec, precision verdict) are there as they
would be on a user's machine after the first run. Prints the median and range of each case, the median minus the
bare interpreter, and the targets of issue 11.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

TARGETS = {"import embedsdk": 0.150, "CLI embed, cached": 0.6, "CLI embed, uncached, onnx": 1.0}


def timed(command: list[str], environment: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=environment, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--provider", default="minilm")
    parser.add_argument("-O", "--option", action="append", default=[], metavar="KEY=VALUE", help="provider option")
    parser.add_argument("--no-onnx", action="store_true", help="skip the backend=onnx cases")
    args = parser.parse_args()

    python = sys.executable
    cli = [python, "-m", "embedsdk"]
    cache = tempfile.mkdtemp(prefix="embedsdk-cold-")
    environment = {**os.environ, "EMBEDSDK_CACHE_DIR": cache, "HF_HUB_OFFLINE": "1"}
    options = [flag for option in args.option for flag in ("-O", option)]
    keywords = ", ".join(f"{k}={v!r}" for k, v in (o.split("=", 1) for o in args.option))
    keywords = f", {keywords}" if keywords else ""

    def cli_embed(text: str, *extra: str) -> list[str]:
        return [*cli, "embed", "-p", args.provider, *options, *extra, "-o", str(Path(cache) / "out.npy"), text]

    def python_embed(text: str) -> list[str]:
        code = f"import embedsdk; embedsdk.embed([{text!r}], provider={args.provider!r}{keywords})"
        return [python, "-c", code]

    # The first run ever: loads and stores everything (model, file digests, tokenizer spec, precision verdict).
    first = timed(cli_embed("one text"), environment)
    print(f"first run in a new cache folder (stores the model's facts): {first:.2f} s")
    onnx = ("-O", "backend=onnx")
    if not args.no_onnx:
        first = timed(cli_embed("one text", *onnx), environment)
        print(f"first run with backend=onnx (exports the model once): {first:.2f} s")
    cases = {
        "bare python": lambda: [python, "-c", "pass"],
        "import embedsdk": lambda: [python, "-c", "import embedsdk"],
        "CLI embed, cached": lambda: cli_embed("one text"),
        "CLI embed, uncached": lambda: cli_embed(f"a text never seen before {uuid.uuid4()}"),
        "python -c embed, cached": lambda: python_embed("one text"),
        "python -c embed, uncached": lambda: python_embed(f"another new text {uuid.uuid4()}"),
    }
    if not args.no_onnx:
        cases["CLI embed, cached, onnx"] = lambda: cli_embed("one text", *onnx)
        cases["CLI embed, uncached, onnx"] = lambda: cli_embed(f"a text never seen before {uuid.uuid4()}", *onnx)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, command in cases.items():
            times[name].append(timed(command(), environment))

    bare = statistics.median(times["bare python"])
    print(f"{args.runs} fresh processes per case, provider {args.provider} {' '.join(args.option)}".rstrip())
    for name, values in times.items():
        median = statistics.median(values)
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            measured = median - bare if name == "import embedsdk" else median
            verdict = f"  target < {target:.2f} s: {'met' if measured < target else 'NOT met'}"
        print(
            f"{name:29s} median {median:6.3f} s (min {min(values):.3f}, max {max(values):.3f})  "
            f"over bare python {median - bare:+.3f} s{verdict}"
        )


if __name__ == "__main__":
    main()
