"""README's snippets added to a config file as a person adds them: new lines inserted
where the keys belong, every other line as it was, so that a release's changes to the
same file merge beside them. Each result is checked to hold the snippet's keys merged."""

import json
import re

import yaml

from proof.helpers.project import merged


class Reset(list):
    """Compose's `!reset []`: an extended service's list emptied."""


class _ComposeLoader(yaml.SafeLoader):
    pass


class _ComposeDumper(yaml.SafeDumper):
    pass


_ComposeLoader.add_constructor("!reset", lambda loader, node: Reset())
_ComposeDumper.add_representer(
    Reset, lambda dumper, data: dumper.represent_sequence("!reset", [], flow_style=True)
)


def load_compose(text: str) -> dict:
    """A compose file's keys, its `!reset` tags too."""
    return yaml.load(text, Loader=_ComposeLoader)  # noqa: S506 -- a safe loader's subclass


def _value(value: object) -> str:
    """A compose value on one line: JSON, which YAML reads, but for `!reset`."""
    return "!reset []" if isinstance(value, Reset) else json.dumps(value)


def _index(lines: list[str], pattern: str, start: int = 0, indent: int = -1) -> int | None:
    """The first line from start matching pattern, before one indented indent or less."""
    for number in range(start, len(lines)):
        line = lines[number]
        if re.match(pattern, line):
            return number
        if number > start and line.strip() and len(line) - len(line.lstrip()) <= indent:
            return None
    return None


def add_json_lines(text: str, extra: dict) -> str:
    """extra's keys in a JSON object file whose top-level keys are indented by two."""
    lines = text.splitlines()
    for key, value in extra.items():
        opening = _index(lines, rf'^  "{re.escape(key)}": \{{$')
        if isinstance(value, dict) and opening is not None:
            lines[opening + 1 : opening + 1] = [
                f"    {json.dumps(k)}: {json.dumps(v)}," for k, v in value.items()
            ]
        else:
            assert _index(lines, rf'^  "{re.escape(key)}":') is None, f"{key} is there already"
            lines[1:1] = [f"  {json.dumps(key)}: {json.dumps(value)},"]
    result = "\n".join(lines) + "\n"
    assert json.loads(result) == merged(json.loads(text), extra), result
    return result


def add_compose_lines(text: str, extra: dict) -> str:
    """extra's keys in a compose file: services' keys under each service, new services
    after `services:`, other top-level keys at the end."""
    lines = text.splitlines()
    for top, value in extra.items():
        if top != "services":
            lines.append(f"{top}: {json.dumps(value)}")
            continue
        for name, service in value.items():
            at = _index(lines, rf"^  {re.escape(name)}:$")
            if at is None:
                services = _index(lines, r"^services:$")
                assert services is not None, "no services in the compose file"
                block = yaml.dump(
                    {name: service}, Dumper=_ComposeDumper, sort_keys=False, default_flow_style=None
                )
                lines[services + 1 : services + 1] = ["  " + line for line in block.splitlines()]
                continue
            for key, inner in service.items():
                sub = _index(lines, rf"^    {re.escape(key)}:$", at + 1, indent=2)
                if isinstance(inner, dict) and sub is not None:
                    lines[sub + 1 : sub + 1] = [f"      {k}: {_value(v)}" for k, v in inner.items()]
                else:
                    lines[at + 1 : at + 1] = [f"    {key}: {_value(inner)}"]
    result = "\n".join(lines) + "\n"
    assert load_compose(result) == merged(load_compose(text), extra), result
    return result
