"""Constant CSS only (never user text): bigger touch targets, narrow-screen tweaks."""

import streamlit as st

_CSS = """
<style>
/* hide Streamlit's English chrome: deploy button, main menu, footer */
[data-testid="stAppDeployButton"], [data-testid="stMainMenu"], #MainMenu, footer {display: none !important;}
button[data-testid^="stBaseButton"] {min-height: 2.75rem;}
.block-container {padding-top: 2.5rem;}
@media (max-width: 640px) {
  .block-container {padding-left: 0.6rem; padding-right: 0.6rem;}
  .st-key-table_header {display: none;}
  /* a thumb's width: section tabs and date pills (Streamlit draws them 32 px) as tall as any
     button, and the participants dialog's tick boxes a 44 px square to tap */
  [data-testid="stButtonGroup"] button {height: auto !important; min-height: 2.75rem !important;}
  /* a segmented control wraps on a phone, and Streamlit draws the line between two segments once,
     on the chosen one's side, which a wrap leaves open: here each segment is whole */
  [data-testid="stButtonGroup"] > div:has(> button[data-variant="segmented_control"]) {gap: 0.25rem;}
  [data-testid="stButtonGroup"] button[data-variant="segmented_control"] {margin-right: 0 !important; border-radius: 0.5rem !important;}
  [data-testid="stButtonGroup"] button[data-variant="segmented_control"][aria-checked="false"] {border-color: rgba(47, 45, 43, 0.2) !important;}
  [data-testid="stDialog"] [data-testid="stCheckbox"] label {min-width: 2.75rem; min-height: 2.75rem; align-items: center;}
  /* the menu's links (Streamlit draws them 34 px) as tall as a button */
  [data-testid="stSidebarNavLink"] {min-height: 2.75rem; align-items: center;}
}
/* the participants dialog: one compact row a person, a slim frame */
[class*="st-key-pp_row_"] {padding: 0.3rem 0.6rem !important; gap: 0.4rem !important; flex-wrap: nowrap !important;}
[class*="st-key-pp_row_"] [data-testid="stMarkdownContainer"] p {overflow-wrap: anywhere; line-height: 1.2;}
/* month view: a seventh of the page per day; a slim frame and smaller type so that words such
   as «консультация» keep to one line at 1280 px (the browser breaks a word only when it cannot fit) */
.st-key-cal_grid [class*="st-key-cal_day_"] {padding: 0.4rem !important;}
.st-key-cal_grid [class*="st-key-cal_day_"] [data-testid="stCaptionContainer"] p {font-size: 0.8rem;}
.st-key-cal_grid [data-testid="stHorizontalBlock"] {gap: 0.4rem;}
/* week view: three sessions a row, one on a phone (ui/session_calendar.py) */
[class*="st-key-cal_sessions_"] > [data-testid="stElementContainer"] {flex: 0 0 calc((100% - 2rem) / 3) !important;
  max-width: calc((100% - 2rem) / 3); min-width: 0 !important;}
@media (max-width: 640px) {
  [class*="st-key-cal_sessions_"] > [data-testid="stElementContainer"] {flex-basis: 100% !important; max-width: 100%;}
}
.st-key-cal_week button {justify-content: flex-start; text-align: left; height: 100%;}
.st-key-cal_week button * {white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}
.st-key-archived_rows [data-testid="stVerticalBlock"] {opacity: 0.75;}
/* Волонтёры: an ID, a phone number and a date stay on one line */
[class*="st-key-vl_code_"] p, [class*="st-key-vl_phone_"] p, [class*="st-key-vl_since_"] p {white-space: nowrap;}
@media (max-width: 640px) {
  /* the column headings are hidden on a phone: the bare date and count say what they are */
  [class*="st-key-vl_since_"] p::before {content: "Регистрация: ";}
  [class*="st-key-vl_made_"] p::before {content: "Записей: ";}
}
/* visitor page: phone first, big touch targets, 16px inputs (no zoom on focus) */
.st-key-visitor_page button[data-testid^="stBaseButton"] {min-height: 3rem; font-size: 1.05rem;}
@media (max-width: 640px) {.st-key-visitor_page h1 {font-size: 2rem;}}
.st-key-visitor_page input, .st-key-visitor_page textarea {font-size: 1rem !important; min-height: 2.75rem;}
.st-key-visitor_page [data-testid="stButtonGroup"] button {min-height: 2.75rem; padding: 0.35rem 0.9rem; font-size: 1rem;}
.st-key-visitor_page [role="radiogroup"] label {padding: 0.4rem 0; font-size: 1.05rem;}
.st-key-visitor_page [data-testid="stCheckbox"] label {padding: 0.35rem 0;}
.st-key-visitor_page [data-testid="stTab"] p {font-size: 1rem;}
.st-key-vp_head {margin-top: 1.5rem;}
.st-key-vp_avatar {width: 64px !important; height: 64px; border-radius: 50%; background: #dbe8f7; flex: 0 0 64px;
  justify-content: center;}
.st-key-vp_avatar p {font-size: 1.5rem; margin: 0; text-align: center;}
@media (max-width: 640px) {
  /* three section tabs side by side on a phone, each label on two lines if it must */
  .st-key-vp_tab [data-testid="stTab"] {flex: 1 1 0; min-width: 0; height: auto !important; min-height: 3rem;
    padding: 0.3rem 0.15rem !important;}
  .st-key-vp_tab [data-testid="stTab"] p {white-space: normal !important; overflow-wrap: normal; word-break: normal;
    text-align: center; line-height: 1.2; font-size: 0.85rem !important;}
  .st-key-vp_tab [role="tablist"] {gap: 0.15rem !important;}
}
.st-key-vp_head img {border-radius: 50%;}
/* a 64 px face needs no «Fullscreen» button (Streamlit's, English) */
.st-key-vp_head [data-testid="stElementToolbar"] {display: none;}
.st-key-vp_name {flex: 1 1 0; min-width: 0;}
.st-key-vp_name p {overflow-wrap: anywhere;}
/* a heading's «link to this heading» icon: of no use here, and on a phone a tap leaves it standing
   alone under the title */
[data-testid="stHeaderActionElements"] a[href^="#"] {display: none;}
/* Streamlit's "Press Enter to apply" under a typed-in field is English: the buttons say what to do */
[data-testid="InputInstructions"] {display: none;}
/* Streamlit 1.67 pins its select boxes and date fields to the en-US locale: what it writes there
   itself is drawn over in Russian. An empty list's «No results» (hidden, so not read aloud either) */
[role="listbox"][data-empty] [role="option"] > span {font-size: 0; visibility: hidden;}
[role="listbox"][data-empty] [role="option"] > span::after {content: "Ничего не найдено"; font-size: 0.875rem; visibility: visible;}
/* an empty date field's «dd.mm.yyyy»: the segments stay (a finger or the keyboard types into them), their letters Russian */
[data-testid="stDateInputField"] [role="spinbutton"][data-placeholder] {font-size: 0;}
[data-testid="stDateInputField"] [role="spinbutton"][data-placeholder]::after {font-size: 0.875rem;}
[data-testid="stDateInputField"] [role="spinbutton"][data-placeholder][data-type="day"]::after {content: "ДД";}
[data-testid="stDateInputField"] [role="spinbutton"][data-placeholder][data-type="month"]::after {content: "ММ";}
[data-testid="stDateInputField"] [role="spinbutton"][data-placeholder][data-type="year"]::after {content: "ГГГГ";}
/* Streamlit's notice of a lost connection (a phone's network drops, the server restarts) is
   English and not configurable (streamlit/streamlit#12661): its words are drawn over in Russian.
   It is a dialog holding bare text; a dialog of ours always holds a block of elements. */
[data-testid="stDialog"]:not(:has([data-testid="stVerticalBlock"])) section > :is(h2, div) {font-size: 0; visibility: hidden;}
[data-testid="stDialog"]:not(:has([data-testid="stVerticalBlock"])) section > h2::after {
  content: "Нет связи"; font-size: 1.5rem; visibility: visible;}
[data-testid="stDialog"]:not(:has([data-testid="stVerticalBlock"])) section > div::after {
  content: "Проверьте интернет. Страница подключится сама, как только связь вернётся; если долго не получается, обновите её.";
  font-size: 1rem; line-height: 1.6; visibility: visible;}
/* the file picker's own words are English: hide them, the caption above says it in Russian */
[class*="st-key-vp_photo_file"] [data-testid="stFileUploaderDropzoneInstructions"] {display: none;}
[class*="st-key-vp_photo_file"] button[data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] {display: none;}
[class*="st-key-vp_photo_file"] button[data-testid="stBaseButton-secondary"]::after {content: "Выбрать фото"; margin-left: 0.4rem;}
/* a file Streamlit itself refuses (over 5 MB, not JPEG or PNG) stays as a red chip saying so in
   English, with its name and size: the chip says why in Russian instead, and the English
   screen-reader alert and tooltip are not drawn (the tooltip is drawn outside the picker: hidden
   while a refused photo is on the page) */
[class*="st-key-vp_photo_file"] [data-testid="stFileChip"]:has([data-testid="stFileChipIconError"]) :is([data-testid="stFileChipName"], [data-testid="stFileChipName"] + div),
[class*="st-key-vp_photo_file"] [data-testid="stFileChip"] [role="alert"],
body:has([class*="st-key-vp_photo_file"] [data-testid="stFileChipIconError"]) [role="tooltip"]:has([data-testid="stTooltipErrorContent"]) {
  display: none !important;}
[class*="st-key-vp_photo_file"] [data-testid="stFileChip"]:has([data-testid="stFileChipIconError"]) div:has(> [data-testid="stFileChipName"])::after {
  content: "Не подошло: нужно фото JPEG или PNG до 5 МБ"; font-size: 0.875rem; white-space: normal;}
/* the start page: two large doors, visitors first */
.st-key-home_visitor button, .st-key-home_staff button {min-height: 4.5rem;}
.st-key-home_visitor button p, .st-key-home_staff button p {font-size: 1.3rem;}
/* the PIN is a digit field (type="phone": the keypad on a phone); its digits show as dots */
.st-key-vp_pin input {-webkit-text-security: disc; text-security: disc;}
/* the booking confirmation (a dialog, outside the page's own container) */
.st-key-vp_confirmation button {min-height: 3rem; font-size: 1.05rem;}
[data-testid="stDialog"] button[aria-label="Close"] {min-width: 2.75rem; min-height: 2.75rem;}
.st-key-issued_card [data-testid="stMetricValue"] {font-size: 2.6rem; letter-spacing: 0.12em;}
</style>
"""


def apply_style() -> None:
    st.html(_CSS)
