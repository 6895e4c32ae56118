"""Field-level error messages: a refusal is shown right under the field it is about.

A message lasts until the next attempt, the form closing, or a change to the inputs it is
about (`field_error(..., *inputs)`): an error whose cause is fixed is not left on screen.
"""

import copy

import streamlit as st

from core.errors import DomainError
from ui.format import md


def message_of(refusal: DomainError) -> str:
    """The refusal in words, with the names inside it (a place, a service) shown as typed."""
    shown = copy.copy(refusal)
    shown.params = {name: md(value) if isinstance(value, str) else value for name, value in refusal.params.items()}
    return shown.message


def errors_of(form: str) -> dict[str, str]:
    return st.session_state.setdefault(f"{form}__errors", {})


def clear_errors(form: str) -> None:
    st.session_state[f"{form}__errors"] = {}
    st.session_state[f"{form}__inputs"] = {}


def remember_error(form: str, refusal: DomainError, default_field: str = "_form") -> None:
    """Keep the refusal's message (each field's, when several fields were refused at once)."""
    clear_errors(form)
    errors = errors_of(form)
    for one in getattr(refusal, "errors", (refusal,)):
        errors.setdefault(one.field or default_field, message_of(one))


def field_error(form: str, field: str, *inputs) -> None:
    """Show the message for `field` of `form`, if the last attempt was refused there.

    `inputs` are the values the message is about: once any of them differs from what it was
    when the message first showed, the message is dropped (its cause may be fixed).
    """
    errors = errors_of(form)
    message = errors.get(field)
    if not message:
        return
    shown_with = st.session_state.setdefault(f"{form}__inputs", {})
    if shown_with.setdefault(field, inputs) != inputs:
        del errors[field], shown_with[field]
        return
    st.error(message, icon="⚠️")


def keep_widget_values(*keys: str) -> None:
    """Re-commit widget values, so they survive a page or tab where the widget is not drawn."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def show_once(key: str, kind: str = "success") -> None:
    """Show the message a callback left under `key` for this rerun, then forget it."""
    message = st.session_state.pop(key, None)
    if message:
        if kind == "success":
            st.success(message)
        else:
            getattr(st, kind)(message, icon="⚠️")
