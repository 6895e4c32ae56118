"""Clean one form field at a time: return the tidy value or raise ValidationError.

Every function here is pure (no clock, no database) and refuses with a code from
core.errors.MESSAGES, naming the field so a page can show the message next to it.
An empty value is always "required", never a more specific refusal: a person who
left a field blank needs to be told to fill it in, not that it is malformed.
FieldChecks runs the cleaners of a whole form, so every bad field is refused at once.
"""

import re
import unicodedata
from collections.abc import Callable
from datetime import date, time

import phonenumbers

from core.errors import ValidationError

NAME_MAX = 60
TITLE_MAX = 120
PLACE_MAX = 60
ADDRESS_MAX = 200
METRO_MAX = 80
SERVICE_NAME_MAX = 80
DURATION_MIN, DURATION_MAX = 5, 720
TEXT_MAX = 500
PASSWORD_MIN = 10
PASSWORD_MAX = 128
CAPACITY_MIN, CAPACITY_MAX = 1, 1000
WINDOW_MIN, WINDOW_MAX = 0, 365
INTERVAL_MIN, INTERVAL_MAX = 1, 99
COUNT_MIN, COUNT_MAX = 1, 1000
PHONE_INPUT_MAX = 20

# Typographic apostrophes arrive from phone keyboards and pasted text ("д’Артаньян",
# Ukrainian "Мар’яна"); one stored form keeps search and de-duplication simple.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u02bb": "'"})
_NAME_PUNCTUATION = frozenset("-' ")
# "Cyrillic or Latin letters" read as scripts, not just the Russian and English
# alphabets: visitors include people with Ukrainian, Kazakh, Uzbek or Vietnamese names.
_LETTER_BLOCKS = (
    (0x0041, 0x005A),  # A-Z
    (0x0061, 0x007A),  # a-z
    (0x00C0, 0x024F),  # Latin-1 letters, Latin Extended-A and -B (é, ß, ł, ș)
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese ễ)
    (0x0400, 0x04FF),  # Cyrillic, including ё, і, ї, є, ў, қ, ә
)
_LOGIN = re.compile(r"[a-z0-9._-]{3,32}")
_PIN = re.compile(r"[0-9]{4}")
_RU_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_INTEGER = re.compile(r"([+-]?)([0-9]+)")
# Only what people type around a phone number; phonenumbers itself would read letters
# as a vanity number ("8-800-FLOWERS") and accept things nobody means as a phone.
_PHONE_CHARS = re.compile(r"\+?[0-9()\-.\s]+")
_RU_E164 = re.compile(r"\+7([0-9]{3})([0-9]{3})([0-9]{2})([0-9]{2})")


class FieldErrors(ValidationError):
    """Several fields refused at once; code, field and message are those of the first."""

    def __init__(self, errors: list[ValidationError]):
        first = errors[0]
        super().__init__(first.code, field=first.field, **first.params)
        self.errors = tuple(errors)


class FieldChecks:
    """Clean every field of a form, keeping each refusal: a person is told of all bad fields in one go."""

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    def clean(self, cleaner: Callable, *args, **kwargs):
        """`cleaner(*args, **kwargs)`, or None after noting its refusal."""
        try:
            return cleaner(*args, **kwargs)
        except ValidationError as refusal:
            self.errors.append(refusal)
            return None

    def refuse(self, code: str, field: str, **params) -> None:
        self.errors.append(ValidationError(code, field=field, **params))

    def failed(self, field: str) -> bool:
        return any(refusal.field == field for refusal in self.errors)

    def done(self) -> None:
        """Raise the refusals noted so far: one as itself, several as FieldErrors (first field first)."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise FieldErrors(self.errors)


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _collapse_spaces(value: str) -> str:
    return " ".join(value.split())


def _drop_control_chars(value: str, keep: Callable[[str], bool]) -> str:
    """Remove control characters (NUL, BEL, ESC...) except those `keep(ch)` accepts."""
    return "".join(ch for ch in value if keep(ch) or unicodedata.category(ch) != "Cc")


def _drop_invisible(value: str) -> str:
    """Remove characters that show as nothing: zero-width space, (non-)joiners, word joiner,
    byte-order mark, soft hyphen and the other Unicode "format" characters. Pasted text brings
    them, and they make two names that look the same compare different."""
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf")


def _is_name_letter(ch: str) -> bool:
    code = ord(ch)
    return unicodedata.category(ch).startswith("L") and any(
        low <= code <= high for low, high in _LETTER_BLOCKS
    )


def _one_line(value: str | None) -> str:
    """NFC, no control or invisible characters, single spaces, stripped: the shape of a one-line field."""
    if value is None:
        return ""
    # Whitespace controls (tab, newline) become single spaces rather than vanish.
    return _collapse_spaces(_nfc(_drop_invisible(_drop_control_chars(value, keep=str.isspace))))


def clean_name(value: str | None, field: str) -> str:
    """A first name or surname as typed, tidied: capitalisation and ё are kept."""
    name = _collapse_spaces(_nfc(_drop_invisible(value or "")).translate(_APOSTROPHES))
    if not name:
        raise ValidationError("required", field=field)
    if len(name) > NAME_MAX:
        raise ValidationError("name_too_long", field=field, maximum=NAME_MAX)
    if not all(ch in _NAME_PUNCTUATION or _is_name_letter(ch) for ch in name):
        raise ValidationError("name_bad_chars", field=field)
    if sum(1 for ch in name if ch not in _NAME_PUNCTUATION) < 2:
        raise ValidationError("name_too_short", field=field)
    return name


def _without_yo(decomposed: str) -> str:
    """Drop every diaeresis that sits on an "е": in NFD that is exactly what makes a "ё"."""
    kept, base = [], ""
    for ch in decomposed:
        if not unicodedata.combining(ch):
            base = ch
        elif ch == "\u0308" and base == "е":
            continue
        kept.append(ch)
    return "".join(kept)


def search_key(text: str | None) -> str:
    """The form used to match names and titles: case, ё/е and spacing do not matter."""
    # Unicode's canonical caseless form, NFD(casefold(NFD(x))), because casefold alone can
    # leave decomposed letters behind. A plain replace("ё", "е") is not enough: "Ё" plus a
    # stray diaeresis would come back as "ё" once recomposed.
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFD", text or "").casefold())
    return _collapse_spaces(_nfc(_without_yo(decomposed)))


def clean_phone(value: str | None, field: str = "phone") -> str | None:
    """A Russian phone number in any common form -> E.164 "+79161234567"; blank -> None."""
    raw = (value or "").strip()
    if not raw:
        return None
    if len(raw) > PHONE_INPUT_MAX or not _PHONE_CHARS.fullmatch(raw):
        raise ValidationError("phone_invalid", field=field)
    try:
        number = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("phone_invalid", field=field) from exc
    # +7 is shared with Kazakhstan (+7 7xx); the product promises Russian numbers only.
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != "RU":
        raise ValidationError("phone_invalid", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """"+79161234567" -> "+7 (916) 123-45-67"; "" for None; anything else unchanged."""
    if not e164:
        return ""
    match = _RU_E164.fullmatch(e164)
    if match is None:
        return e164
    return "+7 ({}) {}-{}-{}".format(*match.groups())


def clean_int(value, field: str, minimum: int, maximum: int, code: str) -> int:
    """A whole number from an int or a string of digits ("1 000" too), within [minimum, maximum]."""
    if isinstance(value, bool):
        # bool is an int subclass; True as "1" would hide a wiring mistake in a page.
        raise ValidationError("not_a_number", field=field)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        digits = "".join(value.split())
        if not digits:
            raise ValidationError("required", field=field)
        match = _INTEGER.fullmatch(digits)
        if match is None:
            raise ValidationError("not_a_number", field=field)
        sign, magnitude = match.groups()
        magnitude = magnitude.lstrip("0") or "0"
        # int() refuses very long digit strings; anything this long is out of range anyway.
        if len(magnitude) > 18:
            raise ValidationError(code, field=field, minimum=minimum, maximum=maximum)
        number = int(sign + magnitude)
    elif value is None:
        raise ValidationError("required", field=field)
    else:
        raise ValidationError("not_a_number", field=field)
    if not minimum <= number <= maximum:
        raise ValidationError(code, field=field, minimum=minimum, maximum=maximum)
    return number


def clean_capacity(value, field: str = "capacity") -> int:
    """Places in an event or session: 1 to 1000."""
    return clean_int(value, field, CAPACITY_MIN, CAPACITY_MAX, "capacity_range")


def clean_service_capacity(value, event_capacity: int, field: str = "service_capacity") -> int:
    """Places in one service: 1 to 1000 and no more than the event holds."""
    capacity = clean_capacity(value, field)
    if capacity > event_capacity:
        raise ValidationError("service_capacity_above_event", field=field, event_capacity=event_capacity)
    return capacity


def clean_window_days(value, field: str = "window_days") -> int:
    """How many days ahead booking opens: 0 to 365."""
    return clean_int(value, field, WINDOW_MIN, WINDOW_MAX, "window_range")


def clean_interval(value, field: str = "interval") -> int:
    """Recurrence step (every N days/weeks/months): 1 to 99."""
    return clean_int(value, field, INTERVAL_MIN, INTERVAL_MAX, "interval_range")


def clean_count(value, field: str = "count") -> int:
    """Number of occurrences in a series: 1 to 1000."""
    return clean_int(value, field, COUNT_MIN, COUNT_MAX, "count_range")


def clean_until(first_date: date, until: date | None, field: str = "until") -> date | None:
    """Last date of a series: optional, and may equal the first date but not precede it."""
    if until is not None and until < first_date:
        raise ValidationError("until_before_first", field=field)
    return until


def clean_not_past(day: date, today: date, field: str = "date") -> date:
    """A date that is today or later."""
    if day < today:
        raise ValidationError("date_in_past", field=field)
    return day


def clean_time_range(start: time, end: time, field: str = "end_time") -> tuple[time, time]:
    """A start and an end on the same day; the end strictly later."""
    if end <= start:
        raise ValidationError("time_order", field=field)
    return start, end


def clean_title(value: str | None, field: str = "title") -> str:
    """A required one-line title of at most 120 characters."""
    title = _one_line(value)
    if not title:
        raise ValidationError("required", field=field)
    if len(title) > TITLE_MAX:
        raise ValidationError("title_too_long", field=field, maximum=TITLE_MAX)
    return title


def clean_place_name(value: str | None, field: str = "place") -> str:
    """A required one-line place name of at most 60 characters; uniqueness is the caller's."""
    place = _one_line(value)
    if not place:
        raise ValidationError("required", field=field)
    if len(place) > PLACE_MAX:
        raise ValidationError("text_too_long", field=field, maximum=PLACE_MAX)
    return place


def clean_line(value: str | None, field: str, maximum: int) -> str | None:
    """Optional one-line text (an address, a metro station), tidied like a name; blank -> None."""
    line = _one_line(value)
    if len(line) > maximum:
        raise ValidationError("text_too_long", field=field, maximum=maximum)
    return line or None


def clean_service_name(value: str | None, field: str = "name") -> str:
    """A catalog service's name: one line, at most 80 characters."""
    name = _one_line(value)
    if not name:
        raise ValidationError("required", field=field)
    if len(name) > SERVICE_NAME_MAX:
        raise ValidationError("text_too_long", field=field, maximum=SERVICE_NAME_MAX)
    return name


def catalog_key(name: str | None) -> str:
    """What makes two catalog names the same: case, ё/е, spacing and invisible characters do not count."""
    return search_key(_drop_invisible(name or ""))


def clean_duration(value, field: str = "duration_min") -> int:
    """A service's length in minutes: 5 to 720 (twelve hours)."""
    return clean_int(value, field, DURATION_MIN, DURATION_MAX, "duration_range")


def clean_text(value: str | None, field: str = "comment", maximum: int = TEXT_MAX) -> str | None:
    """Optional free text: newlines and tabs kept, other control characters dropped; blank -> None."""
    if value is None:
        return None
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = _nfc(_drop_control_chars(text, keep=lambda ch: ch in "\n\t")).strip()
    if not text:
        return None
    if len(text) > maximum:
        raise ValidationError("text_too_long", field=field, maximum=maximum)
    return text


def clean_login(value: str | None, field: str = "login") -> str:
    """A staff login: 3-32 of a-z, 0-9, ".", "_", "-"; returned in lower case."""
    login = (value or "").strip()
    if not login:
        raise ValidationError("required", field=field)
    # Checked before lowercasing: "\u212a".lower() is an ASCII "k", which would let a
    # look-alike sign slip through as a different spelling of the same login.
    if not login.isascii() or not _LOGIN.fullmatch(login.lower()):
        raise ValidationError("login_invalid", field=field)
    return login.lower()


def clean_password(value: str | None, field: str = "password") -> str:
    """10 to 128 characters, returned exactly as typed (spaces count)."""
    if not value:
        raise ValidationError("required", field=field)
    if len(value) < PASSWORD_MIN:
        raise ValidationError("password_too_short", field=field)
    if len(value) > PASSWORD_MAX:
        raise ValidationError("text_too_long", field=field, maximum=PASSWORD_MAX)
    return value


def clean_pin(value: str | None, field: str = "pin") -> str:
    """Exactly four digits, kept as a string so "0042" stays "0042"."""
    pin = (value or "").strip()
    if not pin:
        raise ValidationError("required", field=field)
    if not _PIN.fullmatch(pin):
        raise ValidationError("pin_invalid", field=field)
    return pin


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of a string of digits: it catches any one wrong digit and most swaps."""
    total = 0
    for position, ch in enumerate(reversed(digits)):
        doubled = int(ch) * (2 if position % 2 == 0 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return str(-total % 10)


def clean_card_number(value: str | None, field: str = "card") -> str:
    """A visitor's card number: six digits (cards issued in order) or seven whose last is the
    Luhn check digit; a seven-digit number that fails the check is a typo, said at the field."""
    card = "".join((value or "").split())
    if not card:
        raise ValidationError("required", field=field)
    if not card.isascii() or not card.isdigit() or len(card) not in (6, 7):
        raise ValidationError("card_invalid", field=field)
    if len(card) == 7 and luhn_digit(card[:6]) != card[6]:
        raise ValidationError("card_typo", field=field)
    return card


def parse_ru_date(value: str | None, field: str = "date") -> date:
    """"05.03.2026" (or "5.3.2026") -> date(2026, 3, 5)."""
    text = (value or "").strip()
    if not text:
        raise ValidationError("required", field=field)
    match = _RU_DATE.fullmatch(text)
    if match is None:
        raise ValidationError("date_invalid", field=field)
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValidationError("date_invalid", field=field) from exc


def format_ru_date(d: date | None) -> str:
    """date(2026, 3, 5) -> "05.03.2026"; "" for None."""
    if d is None:
        return ""
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"
