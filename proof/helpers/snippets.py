"""README's snippets added to a config file as a person adds them: new lines inserted
where the keys belong, every other line as it was, so that a release's changes to the
same file merge beside them. Each result is checked to hold the snippet's keys merged."""

import json
import re

import yaml

from proof.helpers.project import merged


class Alias(str):
    """A snippet's `<<: *name`: the keys of the service the file anchors as name, which a
    README snippet names without the anchor it refers to."""


class _SnippetLoader(yaml.SafeLoader):
    pass


_SnippetLoader.add_constructor("!alias", lambda loader, node: Alias(node.value))
MERGE = "<<"


def load_snippet(text: str) -> dict:
    """A README snippet's keys, its `<<: *name` merges kept as Alias(name)."""
    marked = re.sub(r"<<: \*(\w+)", rf'"{MERGE}": !alias \1', text)
    return yaml.load(marked, Loader=_SnippetLoader)  # noqa: S506 -- a safe loader's subclass


def _value(value: object) -> str:
    """A value on one line: JSON, which YAML reads, but for a merge's alias."""
    return f"*{value}" if isinstance(value, Alias) else json.dumps(value)


def _resolved(services: dict, name: str) -> dict:
    """A service's keys with a merge replaced by the keys of the service it names."""
    service = dict(services[name])
    alias = service.pop(MERGE, None)
    return {**services[alias], **service} if alias else service


def _block_end(lines: list[str], at: int, indent: int) -> int:
    """Where the block that starts at line at ends: after its last line indented more than
    indent, before the blank and comment lines that lead to the next."""
    end = at + 1
    for number in range(at + 1, len(lines)):
        line = lines[number]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(line) - len(line.lstrip()) <= indent:
            break
        end = number + 1
    return end


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
    """extra's keys in a compose file: a service's new keys at the end of its block,
    new services after the last one, other top-level keys at the end."""
    lines = text.splitlines()
    for top, value in extra.items():
        if top != "services":
            lines.append(f"{top}: {json.dumps(value)}")
            continue
        for name, service in value.items():
            at = _index(lines, rf"^  {re.escape(name)}:( &\w+)?$")
            if at is None:
                services = _index(lines, r"^services:$")
                assert services is not None, "no services in the compose file"
                end = _block_end(lines, services, 0)
                block = [f"  {name}:"] + [f"    {k}: {_value(v)}" for k, v in service.items()]
                lines[end:end] = ["", *block]
                continue
            for key, inner in service.items():
                sub = _index(lines, rf"^    {re.escape(key)}:$", at + 1, indent=2)
                if isinstance(inner, dict) and sub is not None:
                    lines[sub + 1 : sub + 1] = [f"      {k}: {_value(v)}" for k, v in inner.items()]
                else:
                    end = _block_end(lines, at, 2)
                    lines[end:end] = [f"    {key}: {_value(inner)}"]
    result = "\n".join(lines) + "\n"
    expected = merged(yaml.safe_load(text), extra)
    expected["services"] = {
        name: _resolved(expected["services"], name) for name in expected["services"]
    }
    assert yaml.safe_load(result) == expected, result
    return result
