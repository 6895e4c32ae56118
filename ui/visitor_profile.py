"""The signed-in visitor's profile: header with photo, reminders, and three tabs: Доступные
услуги (opens first), Мои записи (what is ahead), История (what is past).

Phone first: one column, short words, full-width buttons; every change asks core and says
in a line what happened, right where the person tapped.
"""

import streamlit as st

from core.actors import Actor
from core.errors import DomainError
from core.visitors import get_visitor
from core.photos import delete_photo, load_photo, save_photo
from ui import booking_flow, visitor_bookings
from ui.auth import as_signed_in, sign_out
from ui.clock import now, this_minute
from ui.db import after_write, cached_places, get_engine
from ui.format import ALL_PLACES, md
from ui.place_info import show_place
from ui.visitor_bookings import TABS, describe, note, show_note

BANNER_LIMIT = 3
FLOW = "vb"  # key prefix of the booking flow on this page


# --- header and photo -------------------------------------------------------------------


def _initials(first: str, last: str) -> str:
    return (first[:1] + last[:1]).upper()


def _uploader_key() -> str:
    # a new key after each try gives an empty picker: Streamlit cannot clear one through state
    return f"vp_photo_file_{st.session_state.get('vp_photo_round', 0)}"


@as_signed_in
def _save_photo(actor: Actor) -> None:
    """Saved as soon as it is chosen: one tap fewer, and the picker never keeps Streamlit's
    English line about the file («photo.jpg 23.0KB», «Remove»): it is empty again at once."""
    upload = st.session_state.get(_uploader_key())
    if upload is None:
        return
    st.session_state["vp_photo_round"] = st.session_state.get("vp_photo_round", 0) + 1
    try:
        save_photo(get_engine(), actor.id, upload.getvalue(), actor, now())
    except DomainError as refusal:
        note("photo", refusal.message, ok=False)
        return
    note("photo", "Фото сохранено.")
    after_write()


@as_signed_in
def _delete_photo(actor: Actor) -> None:
    delete_photo(get_engine(), actor.id, actor, now())
    note("photo", "Фото удалено.")
    after_write()


def header(actor: Actor) -> None:
    """ФИО, card number, the photo or initials, and Выйти."""
    with get_engine().connect() as conn:
        person = get_visitor(conn, actor.id)
        photo = load_photo(conn, actor.id)
    with st.container(horizontal=True, vertical_alignment="center", key="vp_head"):
        if photo:
            st.image(photo, width=64)
        else:
            with st.container(key="vp_avatar", width=64):
                st.markdown(f"**{md(_initials(person.first_name, person.last_name))}**")
        with st.container(key="vp_name"):
            st.markdown(f"**{md(person.full_name)}**  \nКарта {person.card_number}")
        st.button("Выйти", key="vp_logout", on_click=sign_out)
    with st.expander("Фото профиля", key="vp_photo_box"):
        st.caption("Фото по желанию: JPEG или PNG, до 5 МБ. Без фото видны ваши инициалы.")
        st.file_uploader("Выберите фото", type=["jpg", "jpeg", "png"], key=_uploader_key(), label_visibility="collapsed",
                         on_change=_save_photo, args=(actor,))
        if photo:
            st.button("Удалить фото", key="vp_photo_delete", on_click=_delete_photo, args=(actor,))
        show_note("photo")


def banner(visitor_id: int) -> None:
    """"Вы записаны: …" and "Вы пропустили: …" (no-shows of the last 30 days)."""
    found = visitor_bookings.reminders_and_days_at(visitor_id, this_minute())[0]
    if found.upcoming:
        shown = "; ".join(md(describe(v)) for v in found.upcoming[:BANNER_LIMIT])
        more = len(found.upcoming) - BANNER_LIMIT
        st.info(f"**Вы записаны:** {shown}" + (f" и ещё {more}" if more > 0 else "") + ".", icon="📅")
    if found.missed:
        shown = "; ".join(md(describe(v)) for v in found.missed[:BANNER_LIMIT])
        more = len(found.missed) - BANNER_LIMIT
        st.warning(f"**Вы пропустили:** {shown}" + (f" и ещё {more}" if more > 0 else "") + ".", icon="❗")


# --- Доступные услуги -------------------------------------------------------------------


def services_section(actor: Actor) -> None:
    places = {p.name: p for p in cached_places()}
    options = [ALL_PLACES, *places]
    if st.session_state.get("vp_place") not in options:
        st.session_state["vp_place"] = ALL_PLACES
    st.pills("Где", options, key="vp_place", required=True, format_func=md)
    chosen = st.session_state["vp_place"]
    if chosen != ALL_PLACES:
        show_place(places[chosen])
    place_ids = () if chosen == ALL_PLACES else (places[chosen].id,)
    booking_flow.render_catalog(actor.id, actor, FLOW, place_ids, on_booked=visitor_bookings.booked)


# --- the whole profile ------------------------------------------------------------------


def render(actor: Actor) -> None:
    header(actor)
    banner(actor.id)
    if st.session_state.get(visitor_bookings.BOOKED):
        visitor_bookings.confirmation(actor)
    tabs = st.tabs(list(TABS), key="vp_tab", on_change="rerun")
    sections = (services_section, visitor_bookings.mine_section, visitor_bookings.history_section)
    for tab, section in zip(tabs, sections):
        if tab.open:
            with tab:
                section(actor)
