"""The expression language: what it accepts, what it refuses, and where it says the error is."""

import sympy as sp
import pytest

from gradcli.errors import ExpressionError
from gradcli.expr.parse import MAX_DEPTH, MAX_LENGTH, natural_key, parse, parse_relation

x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)


@pytest.mark.parametrize("text, expected", [
    ("x**2-4*x+8", x**2 - 4 * x + 8),
    ("x^2 - 4*x + 8", x**2 - 4 * x + 8),
    ("100*(y-x**2)**2+(1-x)**2", 100 * (y - x**2)**2 + (1 - x)**2),
    ("exp(x)*ln(y)", sp.exp(x) * sp.log(y)),
    ("abs(x) + sign(y)", sp.Abs(x) + sp.sign(y)),
    ("min(x, y) + max(x, y, 1)", sp.Min(x, y) + sp.Max(x, y, 1)),
    ("atan2(y, x)", sp.atan2(y, x)),
    ("-x + +y", -x + y),
    ("x/y/2", x / (2 * y)),
    ("2*pi*x + E", 2 * sp.pi * x + sp.E),
    ("sqrt(x**2 + y**2)", sp.sqrt(x**2 + y**2)),
])
def test_accepts_the_language(text, expected):
    assert sp.simplify(parse(text).expr - expected) == 0


def test_variables_in_natural_order():
    assert parse("x10 + x2 + x1 + y").names == ("x1", "x2", "x10", "y")
    assert sorted(["x10", "x9", "x100"], key=natural_key) == ["x9", "x10", "x100"]


def test_params_are_substituted():
    p = parse("a*x + b", {"a": 2, "b": 0.5})
    assert p.names == ("x",)
    assert p.expr.subs(x, 1) == 2.5


def test_caret_means_power_and_columns_map_back():
    with pytest.raises(ExpressionError) as e:
        parse("x^2 + y^^3")
    assert e.value.column == 8


@pytest.mark.parametrize("text, col, words", [
    ("__import__('os').system('x')", 11, "strings"),
    ("x.real", 0, "attribute access"),
    ("foo(x)", 0, "unknown function 'foo'"),
    ("sine(x)", 0, "did you mean sin"),
    ("lambda: 1", 0, "lambda"),
    ("[a for a in b]", 0, "comprehension"),
    ("x if y else 1", 0, "if/else"),
    ("x < y", 0, "comparison"),
    ("x // y", 0, "'//'"),
    ("x[0]", 0, "--dim"),
    ("x −1", 2, "U+2212"),
    ("2×x", 1, "write '*'"),
    ("sin(x, y)", 0, "1 argument"),
    ("exp", 0, "is a function"),
    ("x +* 2", 3, "invalid syntax"),
    ("sin(x=1)", 0, "keywords"),
    ("True + x", 0, "bool"),
])
def test_rejects_with_a_column(text, col, words):
    with pytest.raises(ExpressionError) as e:
        parse(text)
    assert e.value.column == col
    assert words in str(e.value)
    assert "^" in str(e.value).splitlines()[-1]


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("   ", "empty"),
    ("9**9**9**9", "MAX_EXPONENT"),
    ("x**100000", "MAX_EXPONENT"),
    ("10**500 + x", "MAX_NUMBER_DIGITS"),
    ("x + " * 10 + "1" * 40, "digits"),
    ("x" + "+x" * (MAX_LENGTH // 2), "MAX_LENGTH"),
    ("(" * 300 + "x" + ")" * 300, "nested"),
    ("exp(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5), "MAX_DEPTH"),
])
def test_limits_are_named(text, words):
    with pytest.raises(ExpressionError) as e:
        parse(text)
    assert words in str(e.value)


def test_a_sum_of_thousands_of_terms_is_accepted():
    p = parse(" + ".join(f"(x{i} - {i})**2" for i in range(3000)))
    assert len(p.names) == 3000
    assert p.names[:3] == ("x0", "x1", "x2")


def test_relations():
    assert parse_relation("x + y <= 1") == ("ineq", 1 - x - y)
    assert parse_relation("x >= y") == ("ineq", x - y)
    assert parse_relation("x**2 + y**2 == 1") == ("eq", x**2 + y**2 - 1)
    for bad in ("x + y", "x < 1", "0 <= x <= 1"):
        with pytest.raises(ExpressionError):
            parse_relation(bad)
