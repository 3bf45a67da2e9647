"""Version of mmincubate."""
__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Parse ``'0.1.0'`` into ``(0, 1, 0)`` (pre-release parts stay strings)."""
    parts = []
    for part in version_str.split('.'):
        parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


version_info = parse_version_info(__version__)
