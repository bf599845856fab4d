"""Figure saving for tour stops; silently skipped when matplotlib is absent."""


def pyplot():
    """``matplotlib.pyplot`` with a non-interactive backend, or None."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - the plot extra is optional
        return None
    return plt
