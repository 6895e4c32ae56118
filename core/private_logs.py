"""Server logs without personal values.

An unexpected error's message can quote what it was working on: PostgreSQL's DETAIL repeats
the row it refused («Failing row contains (…, Петрова, +7 …)»), DuckDB names the duplicate
key, a ValueError may carry the text it could not read. A logged exception therefore keeps
its frames (file, line, code) and its kind, which is what finding the fault needs, and loses
its message.
"""

import logging
import traceback

CAUSED = "\nThe above exception was the direct cause of the following exception:\n\n"
DURING = "\nDuring handling of the above exception, another exception occurred:\n\n"


def traceback_without_values(error: BaseException) -> str:
    """As Python prints a traceback, the chain included, with each message left out."""
    text, seen = "", set()
    while True:
        seen.add(id(error))
        kind = type(error)
        text = ("Traceback (most recent call last):\n" + "".join(traceback.format_tb(error.__traceback__))
                + f"{kind.__module__}.{kind.__qualname__}: (message withheld: it may hold personal data)\n" + text)
        if error.__cause__ is not None:
            error, link = error.__cause__, CAUSED
        elif error.__context__ is not None and not error.__suppress_context__:
            error, link = error.__context__, DURING
        else:
            break
        if id(error) in seen:  # a chain that loops back: each exception written once
            break
        text = link + text
    return text.rstrip("\n")


class ValuesOutOfTracebacks(logging.Filter):
    """Put on a logger: the exceptions it logs are written by traceback_without_values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            # a formatter writes exc_text as it is when it is set
            record.exc_text = traceback_without_values(record.exc_info[1])
        return True


def private_logger(name: str) -> logging.Logger:
    """logging.getLogger(name) with ValuesOutOfTracebacks on it (once, however often asked)."""
    logger = logging.getLogger(name)
    if not any(isinstance(present, ValuesOutOfTracebacks) for present in logger.filters):
        logger.addFilter(ValuesOutOfTracebacks())
    return logger
