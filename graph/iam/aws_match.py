"""Matching the strings of AWS policy language: ``*``/``?`` globs, ARNs, policy variables.

Three-valued answers (:data:`NO`, :data:`MAYBE`, :data:`YES`) are used throughout AWS
evaluation: MAYBE means "depends on something we cannot know statically" (a request
condition, an unknown policy variable) and is never rounded to allow or deny.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

NO = 0
MAYBE = 1
YES = 2
Tri = int
"""A three-valued truth: :data:`NO` < :data:`MAYBE` < :data:`YES` (AND is ``min``, OR ``max``)."""

_VAR = re.compile(r"\$\{([^}]*)\}")
_SPECIAL_VARS = {"*": "\x00", "?": "\x01", "$": "$"}
"""``${*}``, ``${?}``, ``${$}``: literal characters (protected from glob expansion)."""


@lru_cache(maxsize=65536)
def _glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        elif ch == "\x00":
            parts.append(re.escape("*"))
        elif ch == "\x01":
            parts.append(re.escape("?"))
        else:
            parts.append(re.escape(ch))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def glob_match(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """Whether ``text`` matches an IAM glob (``*`` any run, ``?`` one character).

    Examples:
        >>> glob_match("s3:Get*", "s3:getobject", ignore_case=True)
        True
        >>> glob_match("arn:aws:s3:::b?", "arn:aws:s3:::b12")
        False
    """
    if pattern == "*":
        return True
    parts = _star_parts(pattern, ignore_case)
    if parts is None or (ignore_case and not text.isascii()):
        return _glob_regex(pattern, ignore_case).fullmatch(text) is not None
    if ignore_case:
        text = text.lower()
    if len(parts) == 1:
        return text == parts[0]
    first, last = parts[0], parts[-1]
    end = len(text) - len(last)
    if end < len(first) or not text.startswith(first) or not text.endswith(last):
        return False
    at = len(first)
    for middle in parts[1:-1]:
        found = text.find(middle, at, end)
        if found < 0:
            return False
        at = found + len(middle)
    return True


@lru_cache(maxsize=65536)
def _star_parts(pattern: str, ignore_case: bool) -> tuple[str, ...] | None:
    """A glob of literals and ``*`` only, split at the stars (lower-cased when case does not
    count): matched by ``startswith`` / ``find`` / ``endswith``, leftmost first, with no regex
    to compile (thousands of distinct Resource patterns in an organisation). None: it has
    ``?`` or an escaped character, or non-ASCII letters whose case folding only the regex
    engine gets right."""
    if "?" in pattern or "\x00" in pattern or "\x01" in pattern:
        return None
    if ignore_case:
        if not pattern.isascii():
            return None
        pattern = pattern.lower()
    return tuple(pattern.split("*"))


def glob_prefix(pattern: str, prefix: str) -> tuple[bool, bool]:
    """For all strings starting with ``prefix``: does the glob match (some, all) of them?

    Used for S3 objects: "can P read objects of bucket b" asks whether a Resource pattern
    matches *some* ``arn:aws:s3:::b/...`` (allow) or *all* of them (deny).

    Examples:
        >>> glob_prefix("arn:aws:s3:::b/*", "arn:aws:s3:::b/")
        (True, True)
        >>> glob_prefix("arn:aws:s3:::b/public/*", "arn:aws:s3:::b/")
        (True, False)
        >>> glob_prefix("arn:aws:s3:::c/*", "arn:aws:s3:::b/")
        (False, False)
    """
    return _glob_prefix(pattern, prefix)


@lru_cache(maxsize=262144)
def _glob_prefix(pattern: str, prefix: str) -> tuple[bool, bool]:
    literal = literal_prefix(pattern)
    if prefix.startswith(literal):
        start, rest = len(literal), prefix[len(literal) :]
    elif literal.startswith(prefix):
        rest_pattern = pattern[len(prefix) :]
        return True, bool(rest_pattern) and all(c == "*" for c in rest_pattern)
    else:
        return False, False
    states = {start}
    n = len(pattern)
    for ch in rest:
        nxt: set[int] = set()
        for q in _closure(pattern, states):
            if q < n and (pattern[q] == "?" or pattern[q] == ch):
                nxt.add(q + 1)
            elif q < n and pattern[q] == "*":
                nxt.add(q)
        states = nxt
        if not states:
            return False, False
    alive = _closure(pattern, states)
    every = any(q < n and all(c == "*" for c in pattern[q:]) for q in alive)
    return True, every


def _closure(pattern: str, states: Iterable[int]) -> set[int]:
    out = set()
    for q in states:
        out.add(q)
        while q < len(pattern) and pattern[q] == "*":
            q += 1
            out.add(q)
    return out


def literal_prefix(pattern: str) -> str:
    """The part of a pattern before its first wildcard or variable (for index look-ups)."""
    cut = len(pattern)
    for token in ("*", "?", "${"):
        i = pattern.find(token)
        if i != -1:
            cut = min(cut, i)
    return pattern[:cut]


def substitute(pattern: str, lookup: Callable[[str], list[str] | None]) -> tuple[str, bool]:
    """Replace policy variables (``${aws:username}``...) with their values.

    ``lookup(name)`` returns the known values, or None when unknown. An unknown variable
    becomes ``*`` and the second result is False: the match is then at best MAYBE. AWS
    also allows a default (``${aws:username, 'anon'}``): used when the key is known absent.
    """
    if "${" not in pattern:
        return pattern, True
    exact = True

    def repl(m: re.Match[str]) -> str:
        nonlocal exact
        name = m.group(1).strip()
        if name in _SPECIAL_VARS:
            return _SPECIAL_VARS[name]
        default = None
        if "," in name:
            name, _, default_part = name.partition(",")
            name = name.strip()
            default = default_part.strip().strip("'")
        values = lookup(name)
        if values is None:
            exact = False
            return "*"
        if not values:
            if default is not None:
                return default
            # AWS: a variable with no value in the request makes the string unmatched.
            return "\x02"
        if len(values) > 1:
            exact = False
            return "*"
        return values[0]

    return _VAR.sub(repl, pattern), exact


def arn_parts(arn: str) -> tuple[str, str, str, str, str] | None:
    """(partition, service, region, account, resource) of an ARN, or None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts[1], parts[2], parts[3], parts[4], parts[5]


def arn_account(arn: str) -> str | None:
    """The account id field of an ARN (empty for S3 buckets), or None when not an ARN."""
    parts = arn_parts(arn)
    return parts[3] if parts else None


def as_list(value: object) -> list[str]:
    """A policy element that may be a string or a list, as a list of strings."""
    if value is None:
        return []
    if isinstance(value, list):
        return [_text(v) for v in value]
    return [_text(value)]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
