from pathlib import Path

from django.utils import translation

from intake.diagram import lifecycle_mermaid


def test_readme_lifecycle_diagram_matches_the_fsm():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    with translation.override("zh-hans"):
        diagram = lifecycle_mermaid()
    assert f"```mermaid\n{diagram}\n```" in readme


def test_readme_quick_start_is_exactly_two_commands():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("```")[1]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make run", "make test"]
