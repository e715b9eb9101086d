"""Issue 8, "done when": docs/cli.md, the README and --help describe every command and option."""

import argparse
import re
from pathlib import Path

import pytest

from credit.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def section(name: str) -> str:
    match = re.search(rf"^### {re.escape(name)}\n(.*?)(?=^##)", CLI_DOC, re.S | re.M)
    assert match, f"docs/cli.md has no section '### {name}'"
    return match.group(1)


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The parser's options, and those of its own subcommands (``audit verify``, ``user add`` …)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        found.append(action)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(options(child))
    return found


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_option_is_in_help_and_docs(name):
    parser = commands()[name]
    text = section(name)
    for action in options(parser):
        assert action.help, f"{name} {action.dest}: no --help text"
        for flag in action.option_strings:
            assert f"`{flag}" in text, f"docs/cli.md, {name}: {flag} is not described"
    assert parser.description and len(parser.description) > 20, f"{name}: --help has no description"


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_is_in_the_readme_and_the_docs_table(name):
    assert re.search(rf"^\| `{re.escape(name)}[ `]", README, re.M), f"README command table lacks {name}"
    assert f"[`{name}`](#{name})" in CLI_DOC


def test_ingest_help_lists_the_valid_types():
    text = commands()["ingest"].format_help()
    for department, types in (("tax", "credit_rating, major_violation, arrears"), ("quality", "spot_check, penalty")):
        assert re.search(rf"{department}\s+{types}", text)
