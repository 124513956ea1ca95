"""Lark parse errors -> one-line `QuerySyntaxError`s, for the KQL, Lucene, EQL and ES|QL parsers."""
from __future__ import annotations

from typing import Any

from lark import Lark, Token
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF

from graph_schema.errors import QuerySyntaxError

__all__ = ["parse_or_raise", "syntax_error"]

_SHOWN = 40  # characters of the offending text a message quotes


def syntax_error(language: str, error: LarkError) -> QuerySyntaxError:
    """A one-line `QuerySyntaxError`: what lark found, and at which line and column when it knows."""
    token = getattr(error, "token", None)
    line, column = getattr(error, "line", -1), getattr(error, "column", -1)
    if isinstance(error, UnexpectedEOF) or (isinstance(token, Token) and token.type == "$END"):
        what = "unexpected end of query"
        line, column = getattr(token, "end_line", None), getattr(token, "end_column", None)  # past the last token
    elif isinstance(error, UnexpectedCharacters):
        what = f"unexpected character {error.char!r}"
    elif isinstance(token, Token):
        found = token if len(token) <= _SHOWN else token[:_SHOWN] + "..."
        what = f"unexpected {str(found)!r}"
    else:
        what = type(error).__name__
    where = f" at line {line}, column {column}" if line not in (-1, None) else ""
    return QuerySyntaxError(f"{language} syntax error{where}: {what}")


def parse_or_raise(parser: Lark, language: str, query: str) -> Any:
    """`parser.parse(query)`, a lark error raised as `syntax_error(language, ...)`."""
    try:
        return parser.parse(query)
    except LarkError as error:
        raise syntax_error(language, error) from None
