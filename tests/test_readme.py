"""Every code block of the README runs, and its generated figures match their sources.

Shell blocks run with bash in a scratch copy of what they refer to (the
example releases, the experiment configs, the scripts) and a tiny labeled
data folder written here, so the training commands take seconds; Python
blocks run as written. The setup block's install steps are what CI itself
does, so only its tagging command runs here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_tiny_splits

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)


def _script(block: str) -> str:
    """The block as a bash script; install and test steps of the setup block are left to CI."""
    out = []
    for line in block.splitlines():
        if "python3 -m venv" in line:
            parts = [p for p in line.split(" && ") if not (p.startswith("python3 -m venv") or "pip install" in p
                                                           or "-m pytest" in p)]
            line = " && ".join(p.replace(".venv/bin/", "") for p in parts)
        if "scripts/update_readme.py" in line:
            line += " --check"  # regenerating needs the full-data run; --check proves the README matches
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "examples", ws / "examples")
    shutil.copytree(ROOT / "scripts", ws / "scripts")
    (ws / "experiments").mkdir()
    for cfg in [*(ROOT / "experiments").glob("*.yaml"), *(ROOT / "experiments").glob("*.json")]:
        shutil.copy(cfg, ws / "experiments" / cfg.name)
    shutil.copy(ROOT / "README.md", ws / "README.md")
    write_tiny_splits(ws / "data")
    shutil.copy(ROOT / "data" / "agreement.json", ws / "data" / "agreement.json")
    return ws


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "BULLETIN_CLF_DATA"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONWARNINGS"] = "ignore"  # library chatter of subprocesses is not what this test checks
    return env


SHELL = [b for lang, b in BLOCKS if lang == "bash"]
PYTHON = [b for lang, b in BLOCKS if lang == "python"]


def test_the_readme_has_the_blocks_we_think():
    assert len(SHELL) >= 5 and len(PYTHON) >= 2


@pytest.mark.parametrize("index", range(len(SHELL)))
def test_shell_block_runs(workspace: Path, index: int) -> None:
    script = _script(SHELL[index])
    res = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=workspace, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"{script}\n{res.stderr[-3000:]}"


@pytest.mark.parametrize("index", range(len(PYTHON)))
def test_python_block_runs(workspace: Path, index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workspace)
    exec(compile(PYTHON[index], f"README python block {index}", "exec"), {"__name__": "__readme__"})


def test_generated_blocks_are_up_to_date():
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_readme.py"), "--check"],
                         capture_output=True, text=True, env=_env(), timeout=300)
    assert res.returncode == 0, res.stderr
