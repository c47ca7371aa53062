"""Numbers in words for printed lines, apart from pandas so that the command's own
lines need none of the report's libraries."""


def count(n: int, noun: str) -> str:
    """'1 trajectory', '2 trajectories': a number with its noun in the right form."""
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"
