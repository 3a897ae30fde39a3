"""The metric names a PromQL expression reads, so the alert rules and the dashboard can be checked
against what the exporter serves. A tokeniser, not a parser: it knows enough of PromQL to tell a
metric name from a function, a keyword, a label name, a string, a duration or a Grafana variable.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])                      # [5m], [1h:5m], [$__rate_interval]
  | (?P<variable>\$\{[^}]*\}|\$\w+)            # Grafana's $__interval, ${DS_PROMETHEUS}
  | (?P<number>0x[0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<open_brace>\{) | (?P<close_brace>\})
  | (?P<open_paren>\() | (?P<close_paren>\))
  | (?P<other>\S)
  | (?P<space>\s+)
    """,
    re.VERBOSE,
)

# Words that are never metric names where they stand (PromQL has no reserved words for metrics,
# but a metric named like these would need {__name__="..."} to be read anyway).
KEYWORDS = frozenset(
    {
        # binary operators and modifiers
        "and", "or", "unless", "atan2", "bool", "offset",
        "on", "ignoring", "group_left", "group_right", "by", "without",
        # aggregations, which may be followed by `by (...)` before their parenthesis
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
        "bottomk", "topk", "quantile", "limitk", "limit_ratio",
        # literals
        "inf", "nan",
    }
)  # fmt: skip

# After these, a parenthesised list holds label names, not expressions.
_LABEL_LIST_KEYWORDS = frozenset({"on", "ignoring", "group_left", "group_right", "by", "without"})


def metric_names(expr: str) -> set[str]:
    """The metric names `expr` selects: identifiers that are not followed by `(` (functions), not
    keywords, not inside `{...}` (label matchers) and not inside a `by (...)`-style label list."""
    tokens = [
        (match.lastgroup, match.group())
        for match in _TOKEN.finditer(expr)
        if match.lastgroup != "space"
    ]
    names: set[str] = set()
    brace_depth = 0
    label_list_depth = 0  # >0 while inside `by (...)` and the like
    paren_depth = 0
    for index, (kind, text) in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else (None, "")
        if kind == "open_brace":
            brace_depth += 1
        elif kind == "close_brace":
            brace_depth -= 1
        elif kind == "open_paren":
            paren_depth += 1
        elif kind == "close_paren":
            if label_list_depth == paren_depth:
                label_list_depth = 0
            paren_depth -= 1
        elif kind == "ident" and brace_depth == 0 and not label_list_depth:
            word = text.lower()
            if word in _LABEL_LIST_KEYWORDS and following[0] == "open_paren":
                label_list_depth = paren_depth + 1
            elif word in KEYWORDS or following[0] == "open_paren":
                continue  # a keyword, or a function call
            else:
                names.add(text)
    return names
