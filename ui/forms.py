"""Field-level error messages: a refusal is shown right under the field it is about."""

import streamlit as st

from core.errors import DomainError


def errors_of(form: str) -> dict[str, str]:
    return st.session_state.setdefault(f"{form}__errors", {})


def clear_errors(form: str) -> None:
    st.session_state[f"{form}__errors"] = {}


def remember_error(form: str, refusal: DomainError, default_field: str = "_form") -> None:
    st.session_state[f"{form}__errors"] = {refusal.field or default_field: refusal.message}


def field_error(form: str, field: str) -> None:
    """Show the message for `field` of `form`, if the last attempt was refused there."""
    message = errors_of(form).get(field)
    if message:
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
