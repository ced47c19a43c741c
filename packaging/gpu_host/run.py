"""Check and benchmark the Hallo2 renderer on a GPU host in one command, from this checkout and the bundle
that ``bundle.py`` made: ``python3 packaging/gpu_host/run.py [--tiny] [--budget SECONDS]``.

Nothing is installed and the project is not: the bundle's packages are unpacked beside the checkout and put
on ``PYTHONPATH`` ahead of the host's, and every step runs the checkout's code with the host's Python and
PyTorch. The steps, each in its own process under its own time budget:

1. the environment: GPU, driver, PyTorch, CUDA, cuDNN, package versions, and whether the renderer imports;
2. the CUDA tests and the fp16 parity test (``tests/gpu_runner/hallo2``; they skip themselves without CUDA);
3. the speed ladder: ``bench hallo2`` once per rung, the baseline first, then each switch the code answers to
   (a rung is one process, since PyTorch reads such switches once per process).

``--full`` (the default) benchmarks the released sizes with random weights drawn once on the GPU and reused by
every rung; ``--tiny`` benchmarks the tiny models instead, which is how the whole recipe is rehearsed on a
CPU. The two differ only in the bench's arguments.

A step over its budget is stopped, recorded as such, and the next step runs; all of them together stay within
``--budget`` (540 s by default, inside the 10 minutes a device command may take). Written to ``$OUT`` (or
``--out``), as each step ends: ``report.md`` (the environment, a table of the steps, the tests' figures and
summary, and one table of the ladder), ``run.log`` (every step's whole output), ``bench-<rung>.json``. The
report is printed at the end too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / ".gpu-host"
HERE = Path(__file__).resolve().parent
DEFAULT_BUDGET_S = 540
# A step is not started with less than this left: it could not even load the models.
MIN_STEP_S = 20
# Opens and closes each step's output in run.log (pytest's own lines are made of "=").
MARK = "@@@@"
TESTS = ("tests/gpu_runner/hallo2/test_cuda.py", "tests/gpu_runner/hallo2/test_parity_fp16.py")


@dataclass(frozen=True)
class Rung:
    """One rung of the speed ladder: a name, and the environment variables that switch it on."""

    name: str
    switch: dict[str, str] = field(default_factory=dict)
    note: str = ""


LADDER = (
    Rung("baseline", note="as production runs"),
    Rung(
        "cudnn-attention-last",
        {"TORCH_CUDNN_SDPA_DEPRIORITIZED": "1"},
        "PyTorch may pick cuDNN's attention first on Hopper with a recent cuDNN; this puts flash first",
    ),
)


@dataclass(frozen=True)
class Step:
    name: str
    argv: list[str]
    budget_s: float
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    step: Step
    status: str  # passed, failed (exit N), over budget, skipped
    seconds: float
    budget_s: float


def unpack(bundle: Path, work: Path) -> tuple[Path, Path, dict]:
    """The bundle's site and spec folders under ``work``, and its manifest."""
    if not (bundle / "site.tar.xz").is_file():
        raise SystemExit(
            f"error: no bundle in {bundle}: run `python packaging/gpu_host/bundle.py` where pip works, and "
            "carry its folder with the command"
        )
    for archive in ("site.tar.xz", "spec.tar.xz"):
        with tarfile.open(bundle / archive) as tar:
            tar.extractall(work, filter="data")
    return work / "site", work / "spec", json.loads((bundle / "bundle.json").read_text())


def steps(tiny: bool, work: Path, out: Path) -> list[Step]:
    python = sys.executable
    bench_size = ["--tiny", "--steps", "2", "--seconds", "1.28"] if tiny else ["--full"]
    checks = [
        Step("environment", [python, str(HERE / "host_environment.py")], 60),
        Step(
            "tests",
            [
                python, "-m", "pytest", "-c", str(HERE / "pytest.ini"), "--rootdir", str(REPO),
                "--confcutdir", "tests/gpu_runner/hallo2", "-p", "no:cacheprovider", "-p", "no:django",
                "-s", *TESTS,
            ],
            200,
        ),
    ]  # fmt: skip
    rungs = [
        Step(
            f"bench {rung.name}",
            [
                python, "-m", "gpu_runner", "bench", "hallo2", *bench_size,
                "--random-weights", str(work / "random-weights"),
                "--json", str(out / f"bench-{rung.name}.json"),
            ],
            # The first rung also draws the random weights.
            200 if index == 0 else 120,
            rung.switch,
        )
        for index, rung in enumerate(LADDER)
    ]  # fmt: skip
    return checks + rungs


def run_step(step: Step, budget_s: float, env: dict[str, str], log) -> Outcome:
    """Run ``step`` for at most ``budget_s``, its output appended to ``log``; stopped (its whole process
    group) when over."""
    log.write(f"\n{MARK} {step.name}: {' '.join(step.argv)} {step.env or ''} (budget {budget_s:.0f} s)\n")
    log.flush()
    started = time.monotonic()
    process = subprocess.Popen(
        step.argv,
        cwd=REPO,
        env={**env, **step.env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        code = process.wait(timeout=budget_s)
        status = "passed" if code == 0 else f"failed (exit {code})"
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        status = "over budget"
    seconds = time.monotonic() - started
    log.write(f"{MARK} {step.name}: {status} in {seconds:.1f} s\n")
    log.flush()
    return Outcome(step, status, seconds, budget_s)


def section(log_text: str, name: str) -> str:
    """The output of step ``name`` in the run log."""
    start = log_text.find(f"{MARK} {name}: ")
    if start < 0:
        return ""
    body = log_text[log_text.index("\n", start) + 1 :]
    return body[: body.find(MARK)]


def report(outcomes: list[Outcome], manifest: dict, log_text: str, out: Path, tiny: bool) -> str:
    lines = [
        f"# Hallo2 on this host ({'tiny models' if tiny else 'released sizes, random weights'})",
        "",
        "## Environment",
        "",
        "```",
        section(log_text, "environment").strip() or "(not run)",
        "```",
        f"Carried: {', '.join(f'{n} {v}' for n, v in manifest.get('packages', {}).items())}; "
        f"spec files {', '.join(manifest.get('spec_files', []))}.",
        "",
        "## Steps",
        "",
        "| step | status | seconds | budget s |",
        "|---|---|---:|---:|",
        *(f"| {o.step.name} | {o.status} | {o.seconds:.1f} | {o.budget_s:.0f} |" for o in outcomes),
        "",
        "## Tests",
        "",
        "```",
    ]
    picked = []
    for line in section(log_text, "tests").splitlines():
        if "figure: " in line:  # printed by a test, after pytest's progress on the same line
            picked.append(line[line.index("figure: ") :])
        elif line.startswith(("FAILED", "ERROR", "SKIPPED")) or re.search(r"\d+ (passed|failed|error)", line):
            picked.append(line)
    lines += [*(picked or ["(no test output)"]), "```", "", "## Speed ladder", ""]
    lines += [
        "| rung | switch | status | load s | one denoising step ms | compute s per video-s at 40 steps |",
        "|---|---|---|---:|---:|---:|",
    ]
    by_name = {o.step.name: o for o in outcomes}
    notes = []
    for rung in LADDER:
        outcome = by_name.get(f"bench {rung.name}")
        switch = " ".join(f"{k}={v}" for k, v in rung.switch.items()) or "none"
        figures_path = out / f"bench-{rung.name}.json"
        status = outcome.status if outcome else "not run"
        if outcome and outcome.status == "passed" and figures_path.is_file():
            figures = json.loads(figures_path.read_text())
            extrapolated = " (extrapolated)" if figures["extrapolated"] else ""
            lines.append(
                f"| {rung.name} | {switch} | {status} | {figures['load_s']:.1f} | "
                f"{figures['step_s'] * 1000:.1f} | {figures['per_video_second']:.2f}{extrapolated} |"
            )
            notes.append(
                f"- {rung.name}: {figures['device']}; {figures['weights']}; {figures['steps']} steps × "
                f"{figures['clips']} clips measured after a warm-up render. {rung.note}."
            )
        else:
            lines.append(f"| {rung.name} | {switch} | {status} | | | |")
    lines += ["", *notes, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="released sizes, random weights (the default)")
    size.add_argument("--tiny", action="store_true", help="tiny models: the rehearsal on a CPU")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_S, help="seconds for all the steps")
    parser.add_argument("--bundle", type=Path, default=BUNDLE, help="the bundle folder (.gpu-host)")
    parser.add_argument(
        "--out", type=Path, default=None, help="where to write (default $OUT, else ./gpu-host-out)"
    )
    args = parser.parse_args(argv)

    deadline = time.monotonic() + args.budget
    out: Path = args.out or Path(os.environ.get("OUT") or REPO / "gpu-host-out")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hallo2-gpu-host-"))
    site, spec, manifest = unpack(args.bundle, work)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]),
        "PYTHONUNBUFFERED": "1",
        "HALLO2_SPEC_DIR": str(spec),
        # Nothing is reachable from the host: fail at once rather than wait on the hub.
        "HF_HUB_OFFLINE": "1",
    }
    # Budgets are for a GPU host at --budget 540; another total scales them all.
    scale = args.budget / DEFAULT_BUDGET_S
    outcomes: list[Outcome] = []
    with open(out / "run.log", "w") as log:
        for step in steps(args.tiny, work, out):
            left = deadline - time.monotonic()
            budget = min(step.budget_s * scale, left)
            if budget < MIN_STEP_S:
                outcomes.append(Outcome(step, "skipped (no time left)", 0.0, max(left, 0.0)))
            else:
                outcomes.append(run_step(step, budget, env, log))
            print(f"{step.name}: {outcomes[-1].status} ({outcomes[-1].seconds:.1f} s)", flush=True)
            text = report(outcomes, manifest, (out / "run.log").read_text(errors="replace"), out, args.tiny)
            (out / "report.md").write_text(text)
    print(text, flush=True)
    return 0 if all(o.status == "passed" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
