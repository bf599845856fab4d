"""Chemical formulas -> {element: amount}, with errors that point at the bad character."""

import re

__all__ = ["FormulaError", "parse_formula"]

_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
#: separators of adducts / hydrates: CuSO4·5H2O, CuSO4*5H2O
_ADDUCT = "·•*"
#: deuterium written as its own symbol (SuperCon has deuterides): read as H. Tritium's "T" is
#: not read: in SuperCon it is mostly a typo ("TI" for Ti or Tl), which must not pass as H+I
_ISOTOPES = {"D": "H"}


class FormulaError(ValueError):
    """A chemical formula that cannot be read; the message names the formula and position."""

    def __init__(self, formula, position, reason):
        self.formula, self.position, self.reason = formula, position, reason
        super().__init__(f"cannot read the formula {formula!r} at position {position}: "
                         f"{reason}\n    {formula}\n    {' ' * position}^")


def parse_formula(formula, *, symbols=None):
    """Read a chemical formula into ``{element symbol: amount}``.

    Amounts may be integers or decimals (``"Ba0.2La1.8CuO4"``); groups in parentheses or
    brackets are multiplied out (``"(Ba0.6K0.4)Fe2As2"``, ``"Ca(OH)2"``); adducts and
    hydrates are added up (``"CuSO4·5H2O"``, also with ``*``); spaces between parts are
    ignored (``"Y1 Ba2 Cu3 O7"``); an element written twice is summed; deuterium (``D``)
    counts as hydrogen. Elements with amount 0 are dropped.

    Parameters
    ----------
    formula : str
        The formula.
    symbols : collection of str, default=None
        The valid element symbols; default the 118 elements of mendeleev's periodic table.

    Returns
    -------
    composition : dict
        Element symbol -> amount (float), in the order of first appearance.

    Raises
    ------
    FormulaError
        (a :class:`ValueError`) naming the formula, the position (0-based) and the reason,
        e.g. an unknown element symbol, an unbalanced parenthesis or no atoms at all.

    Examples
    --------
    >>> from skphys.feature_extraction import parse_formula
    >>> parse_formula("(Ba0.6K0.4)Fe2As2")
    {'Ba': 0.6, 'K': 0.4, 'Fe': 2.0, 'As': 2.0}
    >>> try:
    ...     parse_formula("YBa2Cu3Q7")
    ... except ValueError as err:
    ...     print(err)
    cannot read the formula 'YBa2Cu3Q7' at position 7: 'Q' is not an element symbol
        YBa2Cu3Q7
               ^
    """
    if not isinstance(formula, str):
        raise TypeError(f"a formula must be a string, got {type(formula).__name__} "
                        f"({formula!r})")
    if symbols is None:
        from ._elements import symbols as _symbols

        symbols = _symbols()
    symbols = frozenset(symbols)
    text = formula
    n = len(text)
    if not text.strip():
        raise FormulaError(formula, 0, "the formula is empty")

    # a stack of (composition dict, opening bracket, its position); the bottom one is the
    # current adduct part, whose leading coefficient multiplies it
    total = {}
    stack = [({}, None, 0)]
    part_coef, i = 1.0, 0

    def skip_spaces(i):
        while i < n and text[i].isspace():
            i += 1
        return i

    def number(i):
        match = _NUMBER.match(text, i)
        return (float(match.group()), match.end()) if match else (None, i)

    def close_part(i):
        comp, bracket, where = stack[-1]
        if bracket is not None:
            raise FormulaError(formula, where, f"{bracket!r} is never closed")
        for el, amount in comp.items():
            total[el] = total.get(el, 0.0) + part_coef * amount

    i = skip_spaces(i)
    coef, i = number(i)  # a leading coefficient, as in "5H2O"
    part_coef = 1.0 if coef is None else coef
    while True:
        i = skip_spaces(i)
        if i >= n:
            break
        ch = text[i]
        if ch.isupper():
            j = i + 1
            if j < n and text[j].islower():
                j += 1
            sym = text[i:j]
            if sym not in symbols and sym in _ISOTOPES:
                sym = _ISOTOPES[sym]
            if sym not in symbols:
                if len(sym) == 2 and sym[0] in symbols:
                    reason = (f"{sym!r} is not an element symbol (after {sym[0]!r} comes a "
                              "lower-case letter)")
                else:
                    reason = f"{sym!r} is not an element symbol"
                raise FormulaError(formula, i, reason)
            amount, j = number(j)
            comp = stack[-1][0]
            comp[sym] = comp.get(sym, 0.0) + (1.0 if amount is None else amount)
            i = j
        elif ch in _OPEN:
            stack.append(({}, ch, i))
            i += 1
        elif ch in _CLOSE:
            comp, bracket, where = stack[-1]
            if bracket is None:
                raise FormulaError(formula, i, f"{ch!r} has no matching {_CLOSE[ch]!r}")
            if _OPEN[bracket] != ch:
                raise FormulaError(formula, i, f"{ch!r} closes the {bracket!r} at position "
                                   f"{where}")
            if not comp:
                raise FormulaError(formula, where, "empty group")
            stack.pop()
            amount, i = number(i + 1)
            amount = 1.0 if amount is None else amount
            outer = stack[-1][0]
            for el, a in comp.items():
                outer[el] = outer.get(el, 0.0) + a * amount
        elif ch in _ADDUCT:
            close_part(i)
            stack = [({}, None, 0)]
            i = skip_spaces(i + 1)
            coef, i = number(i)
            part_coef = 1.0 if coef is None else coef
        elif ch.isdigit() or ch == ".":
            raise FormulaError(formula, i, "a number must follow an element or a ')'")
        else:
            raise FormulaError(formula, i, f"unexpected character {ch!r}")
    close_part(n)
    composition = {el: a for el, a in total.items() if a != 0.0}
    if not composition:
        raise FormulaError(formula, 0, "no atoms (every amount is zero)")
    return composition
