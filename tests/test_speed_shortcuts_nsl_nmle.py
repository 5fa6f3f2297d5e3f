"""Shortcuts of no-sensitive-logging and no-module-level-env give the answers of the
general paths they skip."""

from __future__ import annotations

import pytest
from test_no_sensitive_logging import _const_values

from nextaudit.source import SourceFile

# Names a `const` may or may not declare, with every kind of extra before the name.
_CONST_PRECEDERS = [
    "const input = 1; log(input);",
    "export const input = 1; log(input);",
    "declare const input: T; log(input);",
    "const a = 1, input = 2; log(input);",
    "const a = 1,input=2; log(input);",
    "const /* c */ input = 1; log(input);",
    "const // c\ninput = 1; log(input);",
    "const // c\n\n  input = 1; log(input);",
    "const <!-- c\ninput = 1; log(input);",
    "const\n--> c\ninput = 1; log(input);",
    "const\r\ninput = 1; log(input);",
    "const\u00a0input = 1; log(input);",
    "const\u2028input = 1; log(input);",
    "const\tinput\t= 1; log(input);",
    "const\v\finput = 1; log(input);",
    "const a = f(b, input = 2); log(input);",
    "f({ input: 1 }); function g(input: T) { log(input); }",
    "let input = 1; log(input);",
    "var input = 1; log(input);",
    "myconst input = 1; log(input);",
    "input = 1; log(input);",
    "xconst\ninput = 1; log(input);",
    "for (const input of xs) log(input);",
    "for (const input = 0; ; ) log(input);",
    "const { input } = o; log(input);",
    "const [input] = o; log(input);",
    "constinput = 1; log(constinput);",
    "const\ninput: T = 1; log(input);",
    "const input!: T = 1; log(input);",
    "{ const input = 1; { log(input); } } log(input);",
]


@pytest.mark.parametrize("code", _CONST_PRECEDERS)
def test_const_values_after_the_const_byte_test_are_those_of_the_climb(code: str) -> None:
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", code.encode())
    assert _const_values(source, True) == _const_values(source, False)
